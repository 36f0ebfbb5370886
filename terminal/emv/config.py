"""What the kernel needs from the terminal's parameters and from the sale: terminal data elements (Book 4
Annex A), the AID list with per-AID action codes and limits (Book 3 10.6-10.7), CA keys. Plain dataclasses: the
lead builds them from the TOML config / provisioning bundle; `demo_config()` gives the built-in demo values."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Callable

from terminal.emv.capk import KeyStore, default_test_store
from terminal.emv.errors import ConfigError


@dataclass(frozen=True)
class AidConfig:
    """One application the terminal supports. `partial` allows the card's AID to be longer (Book 1 12.3.1)."""

    aid: bytes
    label: str = ""
    partial: bool = True
    app_version: bytes = b"\x00\x8c"              # 9F09: each scheme's own (Visa 008C, Mastercard 0002, ...)
    floor_limit: int = 0                           # minor units (9F1B)
    tac_default: bytes = bytes.fromhex("DC4000A800")
    tac_denial: bytes = bytes.fromhex("0010000000")
    tac_online: bytes = bytes.fromhex("DC4004F800")
    random_threshold: int = 0                      # minor units
    random_target_percent: int = 0
    random_max_target_percent: int = 0
    ddol_default: bytes = bytes.fromhex("9F3704")  # used when the card has no DDOL
    # contactless (Book B 3.1.1 pre-processing, per AID and kernel); None: not configured / not checked
    kernel_id: int = 0                             # 0: the kernel the card asks for (9F2A), else its RID's
    cl_transaction_limit: int | None = 100000     # at or above: contactless not allowed (try another interface)
    cl_floor_limit: int | None = None              # above: online cryptogram required; None: floor_limit
    cl_cvm_limit: int | None = 5000                # at or above: CVM required
    zero_amount_allowed: bool = True
    status_check: bool = False                     # an amount of one unit asks for an online cryptogram
    ttq: bytes = bytes.fromhex("26004000")         # C-3 9F66: qVSDC, online PIN, signature; consumer device CVM
    issuer_update: bool = False                    # C-3: offer issuer update processing (TTQ byte 3 b8): a 2nd tap


def _h(text: str) -> bytes:
    return bytes.fromhex(text)


DEFAULT_AIDS = (
    AidConfig(_h("A0000000031010"), "VISA CREDIT"),
    AidConfig(_h("A0000000041010"), "MASTERCARD", app_version=b"\x00\x02"),
    AidConfig(_h("A000000333010101"), "UNIONPAY DEBIT", app_version=b"\x00\x30"),
    AidConfig(_h("A000000333010102"), "UNIONPAY CREDIT", app_version=b"\x00\x30"),
    AidConfig(_h("A00000002501"), "AMEX", app_version=b"\x00\x01"),
)


@dataclass
class EmvTerminalData:
    """The terminal data elements the kernel uses (Book 4 Annex A) and its AID list and CA keys. Not the
    [terminal] table of the TOML parameters (terminal.config.TerminalConfig): txn/emv_params.py builds this
    from that."""
    country_code: str = "156"                       # 9F1A, ISO 3166 numeric
    currency_code: str = "156"                      # 5F2A, ISO 4217 numeric
    currency_exponent: int = 2
    terminal_type: int = 0x22                       # 9F35: attended, online with offline capability, merchant
    capabilities: bytes = _h("E0F8C8")              # 9F33: IC+mag+manual; plain/enc PIN, online PIN, signature, no CVM; SDA DDA CDA
    additional_capabilities: bytes = _h("6000F0A001")  # 9F40
    ifd_serial: str = "POSTERM1"                    # 9F1E
    merchant_category_code: str = "5999"            # 9F15
    aids: tuple[AidConfig, ...] = DEFAULT_AIDS
    ca_keys: KeyStore = field(default_factory=default_test_store)
    online_capable: bool = True
    pin_pad_present: bool = True
    contactless_interface: bool = False             # True when the reader is a contactless one (PPSE, entry 07x)

    def aid_config(self, aid: bytes) -> AidConfig:
        for entry in self.aids:
            if aid == entry.aid or (entry.partial and aid.startswith(entry.aid)):
                return entry
        raise ConfigError(f"AID {aid.hex().upper()} is not in the terminal's list")


@dataclass
class Transaction:
    """The sale the kernel processes. `now` and `unpredictable` are injected so tests are exact."""

    amount: int                                      # minor units
    amount_other: int = 0
    transaction_type: int = 0x00                     # 9C: 00 purchase, 20 refund
    sequence_counter: int = 1                        # 9F41
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    unpredictable: Callable[[], bytes] | None = None  # 4 bytes for 9F37; default os.urandom
    random_percent: Callable[[], int] | None = None   # 1..99 for random selection; default secrets
    force_online: bool = False
    # The terminal exception file (EMV Book 4): is this PAN listed? None: no exception file. Asked once, in
    # terminal risk management; a listed card sets TVR byte 1 bit 5 and the action codes decide.
    on_exception_file: Callable[[str], bool] | None = None

    @property
    def today(self) -> date:
        return self.now.date()


def demo_config(**overrides) -> EmvTerminalData:
    cfg = EmvTerminalData()
    for key, value in overrides.items():
        setattr(cfg, key, value)
    return cfg


def with_floor_limit(config: EmvTerminalData, floor_limit: int) -> EmvTerminalData:
    """The same configuration with every AID's floor limit set (the TOML's [limits] floor_limit)."""
    from dataclasses import replace
    return replace(config, aids=tuple(replace(a, floor_limit=floor_limit) for a in config.aids))
