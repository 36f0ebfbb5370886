"""Terminal parameters from TOML (cli-contract.md 'Config'), with one clear error per missing or bad key.

Unknown tables and keys are errors too: a typo such as `timout_s` silently falling back to a default is how a
terminal ends up reversing every sale after 10 s on a slow link.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from terminal.checks import whole_number
from terminal.risk.policy import CHECKS as RISK_CHECKS
from terminal.risk.policy import SECRET_KEYS as RISK_SECRETS
from terminal.risk.policy import RiskPolicy, whole_policy


class ConfigError(Exception):
    """Exit code 2 at the command line."""


@dataclass(frozen=True)
class TerminalConfig:
    id: str = "TERM0001"
    merchant_id: str = "MERCHANT0000001"
    currency: str = "156"
    country: str = "156"
    language: str = ""   # en | zh-CN; "" = from LANG/LC_MESSAGES (terminal/i18n/text.py); --lang overrides


@dataclass(frozen=True)
class HostConfig:
    address: str = "127.0.0.1:5000"   # the primary: addresses[0] when [host] addresses is given
    addresses: tuple[str, ...] = ()   # primary first, then its backups ([host] addresses); () = (address,)
    timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    tls_ca_file: str = ""       # PEM CA certificate(s): TLS on, the host's certificate verified against them
    tls_cert_file: str = ""     # PEM client certificate (chain), for acquirers that require mutual TLS
    tls_key_file: str = ""      # its private key (PEM)
    tls_server_name: str = ""   # the name the host's certificate must carry (default: the address's host)
    echo_interval_s: float = 60.0  # `posterm run`: an 0800/301 echo after this many idle seconds (0: never)

    @property
    def all_addresses(self) -> tuple[str, ...]:
        """Every address of the acquirer, in order of preference (terminal/link/failover.py)."""
        return self.addresses or (self.address,)


@dataclass(frozen=True)
class ReaderConfig:
    spec: str = ""              # --reader syntax; empty: --reader must be given (nothing emulated unless asked)
    card_timeout_s: float = 30.0


@dataclass(frozen=True)
class KeysConfig:
    mac_key: bytes = field(default=bytes.fromhex("00112233445566778899AABBCCDDEEFF"), repr=False)
    # Seals the card data an offline advice must keep until the host has it (AES-GCM). Demo value: a real
    # terminal takes it from its provisioning bundle.
    data_key: bytes = field(default=bytes.fromhex("000102030405060708090A0B0C0D0E0F"
                                                  "101112131415161718191A1B1C1D1E1F"), repr=False)
    # Double-length TDES key for online PIN blocks (ISO 9564 format 0). Demo value; on real hardware the PIN
    # pad holds it and the terminal never sees it.
    pin_key: bytes = field(default=bytes.fromhex("0123456789ABCDEFFEDCBA9876543210"), repr=False)
    # The key-block protection key (AES, TR-31 / X9.143 version D): the keys a signed parameter bundle carries
    # arrive wrapped under it and are unwrapped in memory only (firmware_tools/bundle_keys.py). Empty: none.
    kbpk: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class SafConfig:
    max_attempts: int = 1000  # attempts that reached the host; refused connects do not count
    expiry_h: float = 72.0   # then 'needs attention', never a silent drop
    window: int = 8          # reversals/advices outstanding at once on one connection (1: one at a time)


@dataclass(frozen=True)
class JournalConfig:
    keep_days: int = 90  # settled batches older than this move to the append-only archive (terminal/store/archive.py)


@dataclass(frozen=True)
class MerchantConfig:
    """[merchant]: who the slip says the customer paid (商户名称, its address, in any script), and when the money
    of a closed batch reaches the merchant's account."""
    # In the merchant's words, printed on the settlement slip (terminal/receipt/settlement.py): the acquirer's
    # terms, e.g. T+1.
    settlement_note: str = ""
    # The lines at the top of every receipt (shop name, address), each at most one receipt line (32 display
    # columns, any script); a signed parameter bundle may set them too.
    receipt_header: tuple[str, ...] = ()
    name: str = "POSTERM DEMO STORE"
    address: str = ""


@dataclass(frozen=True)
class ReceiptConfig:
    """[receipt]: the slip's paper (32 columns on 58 mm, 48 on 80 mm) and how many copies a sale prints
    (1: the merchant's; 2: the merchant's, then the customer's)."""
    width: int = 32
    copies: int = 2


@dataclass(frozen=True)
class PrinterConfig:
    """[printer]: the ESC/POS receipt printer (drivers/printer); '' = the slip goes to the screen/stdout."""
    spec: str = ""


@dataclass(frozen=True)
class SettlementConfig:
    # `posterm run` settles by itself at this local time of day, HH:MM (terminal/txn/auto_settle.py); "" = never.
    auto_at: str = ""
    retry_s: float = 60.0   # a failed automatic settlement is tried again after this, then twice as long each time


@dataclass(frozen=True)
class LimitsConfig:
    floor_limit: int = 0
    max_amount: int = 100_000_000


@dataclass(frozen=True)
class EmvConfig:
    """[emv]: which CA public keys the kernel trusts (terminal/emv/capk.py). '' = production, except with the
    demo parameters/keys or a loopback host (a host simulator), where the test keys of the emulated cards go."""
    ca_keys: str = ""              # production | test | both
    extra_ca_keys: str = ""        # a JSON key file in the shipped format, checksum-verified the same way


def _ca_key_set(v: Any) -> str:
    if v not in ("production", "test", "both"):
        raise ValueError("expected 'production', 'test' or 'both'")
    return v


def _ca_key_file(v: Any) -> str:
    if v == "":
        return v
    if not isinstance(v, str) or not Path(v).is_file():
        raise ValueError("not a file")
    return v


@dataclass(frozen=True)
class ProvisioningConfig:
    """[provisioning]: the Ed25519 public key a signed parameter bundle must verify with (64 hex digits)."""
    trust_key: str = ""


def _ed25519_public(v: Any) -> str:
    if not isinstance(v, str) or len(v) != 64 or any(c not in "0123456789abcdefABCDEF" for c in v):
        raise ValueError("expected 64 hex digits (the Ed25519 public key `fw bundle keygen` wrote to PREFIX.pub)")
    return v.upper()


@dataclass(frozen=True)
class Config:
    terminal: TerminalConfig = TerminalConfig()
    host: HostConfig = HostConfig()
    keys: KeysConfig = KeysConfig()
    limits: LimitsConfig = LimitsConfig()
    emv: EmvConfig = EmvConfig()
    saf: SafConfig = SafConfig()
    journal: JournalConfig = JournalConfig()
    merchant: MerchantConfig = MerchantConfig()
    settlement: SettlementConfig = SettlementConfig()
    reader: ReaderConfig = ReaderConfig()
    provisioning: ProvisioningConfig = ProvisioningConfig()
    risk: RiskPolicy = RiskPolicy()   # [risk]: terminal/risk/policy.py, docs/risk.md
    receipt: ReceiptConfig = ReceiptConfig()
    printer: PrinterConfig = PrinterConfig()
    keypad: dict = field(default_factory=dict)  # validated by terminal.keypad.settings, which owns its meaning
    source: str = "built-in demo parameters"
    # The installed signed parameter bundle's EMV part (firmware_tools.bundle_params.BundleParams: version,
    # AIDs, CA keys), or None; its [terminal], [host], [limits], [emv] and [keys] are already merged above.
    bundle: Any = None


def _line(n: int) -> Any:
    """A line of printed text in any script (a slip note in Chinese), without control characters."""
    def check(v: Any) -> str:
        if not isinstance(v, str) or len(v) > n or not v.isprintable():
            raise ValueError(f"expected one line of at most {n} printable characters")
        return v
    return check


def _time_of_day(v: Any) -> str:
    """HH:MM, 00:00 to 23:59, or "" (off)."""
    if v == "":
        return v
    if not (isinstance(v, str) and len(v) == 5 and v[2] == ":" and v.isascii() and v[:2].isdigit()
            and v[3:].isdigit() and int(v[:2]) <= 23 and int(v[3:]) <= 59):
        raise ValueError('expected a local time of day "HH:MM" from "00:00" to "23:59", or "" (never)')
    return v


def _receipt_lines(v: Any) -> tuple[str, ...]:
    """Up to 4 receipt lines, each fitting the 32-column slip (a Chinese character takes 2 columns)."""
    from terminal.i18n.width import width
    if not isinstance(v, list) or len(v) > 4:
        raise ValueError('expected a list of at most 4 lines, e.g. ["SHOP NAME", "1 MAIN STREET"]')
    for line in v:
        _line(200)(line)
        if width(line) > 32:
            raise ValueError(f"{line!r} is {width(line)} columns wide: a receipt line holds 32")
    return tuple(v)


def _digits(n: int) -> Any:
    def check(v: Any) -> str:
        if not isinstance(v, str) or len(v) != n or not v.isdigit():
            raise ValueError(f"expected a string of {n} digits")
        return v
    return check


def _text(n: int) -> Any:
    def check(v: Any) -> str:
        if not isinstance(v, str) or not 0 < len(v) <= n or not v.isascii() or not v.isprintable():
            raise ValueError(f"expected printable ASCII text of 1 to {n} characters")
        return v
    return check


def _language(v: Any) -> str:
    from terminal.i18n.text import LANGUAGES
    if v not in LANGUAGES:
        raise ValueError(f"expected one of {', '.join(repr(x) for x in LANGUAGES)}")
    return v


def _paper_width(v: Any) -> int:
    if v not in (32, 48) or isinstance(v, bool):
        raise ValueError("expected 32 (58 mm paper) or 48 (80 mm paper)")
    return v


def _printer_spec(v: Any) -> str:
    from drivers.printer.errors import PrinterSpecError
    from drivers.printer.spec import parse_printer_spec
    if not isinstance(v, str):
        raise ValueError("expected \"serial:/dev/ttyUSB0?baudrate=19200\" or \"usb:VID:PID\"")
    if v == "":
        return v
    try:
        parse_printer_spec(v)
    except PrinterSpecError as e:
        raise ValueError(str(e)) from None
    return v


def _number(lo: float, hi: float) -> Any:
    def check(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
            raise ValueError(f"expected a number from {lo:g} to {hi:g}")
        return float(v)
    return check


def _minor_units(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 999_999_999_999:
        raise ValueError("expected a whole number of minor units, 0 to 999999999999")
    return v


def _address(v: Any) -> str:
    from terminal.link.client import Endpoint
    if not isinstance(v, str):
        raise ValueError("expected \"HOST:PORT\"")
    Endpoint.parse(v)
    return v


def _addresses(v: Any) -> tuple[str, ...]:
    if not isinstance(v, list) or not v:
        raise ValueError('expected a list of "HOST:PORT", primary first: ["primary:5000", "backup:5000"]')
    for a in v:
        _address(a)
    if len(set(v)) != len(v):
        raise ValueError("an address is listed twice")
    return tuple(v)


def _aes_key(*sizes: int) -> Any:
    def check(v: Any) -> bytes:
        digits = " or ".join(str(2 * n) for n in sizes)
        try:
            key = bytes.fromhex(v)
        except (TypeError, ValueError):
            raise ValueError(f"expected {digits} hex digits (a {' or '.join(map(str, sizes))}-byte key)") from None
        if len(key) not in sizes:
            raise ValueError(f"expected {' or '.join(map(str, sizes))} bytes, got {len(key)}")
        return key
    return check


def _path(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError("expected a file path")
    return v


def _reader_spec(v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise ValueError("expected a reader spec such as pcsc, pcsc:NAME or serial:/dev/ttyUSB0")
    return v


def _pem_file(kind: str):
    """A file that exists and holds at least one PEM block of `kind` (CERTIFICATE, PRIVATE KEY)."""
    def check(v: Any) -> str:
        if not isinstance(v, str) or not v:
            raise ValueError("expected the path of a PEM file")
        try:
            text = Path(v).read_text(encoding="ascii", errors="replace")
        except OSError as e:
            raise ValueError(f"cannot read: {e.strerror}") from None
        if kind == "CERTIFICATE" and "-----BEGIN CERTIFICATE-----" not in text:
            raise ValueError("not a PEM certificate (no -----BEGIN CERTIFICATE----- block)")
        if kind == "PRIVATE KEY" and not ("PRIVATE KEY-----" in text and "-----BEGIN" in text):
            raise ValueError("not a PEM private key")
        return v
    return check


KEYPAD_KEYS = {"confirm_timeout_s", "bounce_ms", "result_timeout_s", "evdev_map", "tty_map"}


SCHEMA: dict[str, tuple[type, dict[str, Any]]] = {
    "terminal": (TerminalConfig, {"id": _text(8), "merchant_id": _text(15), "currency": _digits(3),
                                  "country": _digits(3), "language": _language}),
    "host": (HostConfig, {"address": _address, "timeout_s": _number(1, 300), "connect_timeout_s": _number(0.5, 120),
                          "addresses": _addresses, "echo_interval_s": _number(0, 3600),
                          "tls_ca_file": _pem_file("CERTIFICATE"), "tls_cert_file": _pem_file("CERTIFICATE"),
                          "tls_key_file": _pem_file("PRIVATE KEY"), "tls_server_name": _text(253)}),
    "keys": (KeysConfig, {"mac_key": _aes_key(16), "data_key": _aes_key(32), "pin_key": _aes_key(16),
                          "kbpk": _aes_key(16, 32)}),
    "saf": (SafConfig, {"max_attempts": whole_number(1, 10_000), "expiry_h": _number(0.01, 24 * 365),
                        "window": whole_number(1, 64)}),
    "journal": (JournalConfig, {"keep_days": whole_number(0, 36_500)}),
    "merchant": (MerchantConfig, {"settlement_note": _line(200), "receipt_header": _receipt_lines,
                                  "name": _line(40), "address": _line(96)}),
    "settlement": (SettlementConfig, {"auto_at": _time_of_day, "retry_s": _number(1, 3600)}),
    "limits": (LimitsConfig, {"floor_limit": _minor_units, "max_amount": _minor_units}),
    "emv": (EmvConfig, {"ca_keys": _ca_key_set, "extra_ca_keys": _ca_key_file}),
    "reader": (ReaderConfig, {"spec": _reader_spec, "card_timeout_s": _number(1, 300)}),
    "provisioning": (ProvisioningConfig, {"trust_key": _ed25519_public}),
    "risk": (RiskPolicy, RISK_CHECKS),
    "receipt": (ReceiptConfig, {"width": _paper_width, "copies": whole_number(1, 2)}),
    "printer": (PrinterConfig, {"spec": _printer_spec}),
}
RISK_PATHS_HIDDEN = {("risk", k) for k in RISK_SECRETS}
PATH_KEYS = {("host", "tls_ca_file"), ("host", "tls_cert_file"), ("host", "tls_key_file"), ("emv", "extra_ca_keys")}
REQUIRED = {"terminal": {"id", "merchant_id", "currency"}, "keys": {"mac_key"}}


def keypad_settings(cfg: Config):
    """The keypad's settings from the same parameters ([keypad] table, max amount, currency)."""
    from terminal.keypad.errors import KeypadSettingsError
    from terminal.keypad.settings import settings_from_config
    try:
        return settings_from_config({"keypad": cfg.keypad, "limits": {"max_amount": cfg.limits.max_amount},
                                     "terminal": {"currency": cfg.terminal.currency}})
    except KeypadSettingsError as e:
        raise ConfigError(f"config {cfg.source}: {e}") from None


def parse(data: dict[str, Any], source: str, base: Path | None = None) -> Config:
    unknown = set(data) - set(SCHEMA) - {"keypad"}
    if unknown:
        raise ConfigError(f"config {source}: unknown table [{sorted(unknown)[0]}]")
    sections: dict[str, Any] = {}
    for name, (cls, checks) in SCHEMA.items():
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise ConfigError(f"config {source}: {name} must be a table [{name}]")
        missing = REQUIRED.get(name, set()) - set(table)
        if name == "host" and not {"address", "addresses"} & set(table):
            missing = {"address"}
        if name == "host" and {"address", "addresses"} <= set(table):
            raise ConfigError(f"config {source}: [host] give address or addresses, not both")
        if missing:
            raise ConfigError(f"config {source}: [{name}] {sorted(missing)[0]} is missing")
        values = {}
        for key, raw in table.items():
            if key not in checks:
                raise ConfigError(f"config {source}: [{name}] {key} is not a known key")
            if (name, key) in PATH_KEYS and isinstance(raw, str) and raw and base is not None:
                raw = str(base / raw)   # relative to the config file's directory
            try:
                values[key] = checks[key](raw)
            except ValueError as e:
                shown = "(hidden)" if name == "keys" or (name, key) in RISK_PATHS_HIDDEN else repr(raw)
                raise ConfigError(f"config {source}: [{name}] {key} = {shown}: {e}") from None
        if name == "host" and "addresses" in values:
            values["address"] = values["addresses"][0]
        sections[name] = cls(**values)
    if sections["limits"].floor_limit > sections["limits"].max_amount:
        raise ConfigError(f"config {source}: [limits] floor_limit is above max_amount")
    risk_problem = whole_policy(sections["risk"])
    if risk_problem:
        raise ConfigError(f"config {source}: [risk] {risk_problem}")
    host = sections["host"]
    if bool(host.tls_cert_file) != bool(host.tls_key_file):
        raise ConfigError(f"config {source}: [host] tls_cert_file and tls_key_file go together")
    if host.tls_cert_file and not host.tls_ca_file:
        raise ConfigError(f"config {source}: [host] tls_cert_file needs tls_ca_file (TLS is on only with a CA)")
    if host.tls_cert_file:
        import ssl
        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(host.tls_cert_file, host.tls_key_file)
        except (ssl.SSLError, OSError) as e:
            raise ConfigError(f"config {source}: [host] tls_cert_file / tls_key_file: not a certificate and its "
                              f"key: {getattr(e, 'reason', None) or e}") from None
    if host.tls_ca_file:
        import ssl
        try:
            ssl.create_default_context(cafile=host.tls_ca_file)
        except (ssl.SSLError, OSError) as e:
            raise ConfigError(f"config {source}: [host] tls_ca_file = {host.tls_ca_file!r}: not a usable CA "
                              f"certificate: {getattr(e, 'reason', None) or e}") from None
    keypad = data.get("keypad", {})
    if not isinstance(keypad, dict):
        raise ConfigError(f"config {source}: keypad must be a table [keypad]")
    for key in keypad:
        if key not in KEYPAD_KEYS:
            raise ConfigError(f"config {source}: [keypad] {key} is not a known key (known: "
                              f"{', '.join(sorted(KEYPAD_KEYS))})")
    cfg = Config(**sections, keypad=keypad, source=source)
    keypad_settings(cfg)   # the keypad's own checks, now rather than at the first key press
    return cfg


def discover(explicit: str | None) -> Path | None:
    """The config file to use: --config, else $POSTERM_CONFIG (both must exist), else the first of
    $XDG_CONFIG_HOME/posterm/config.toml (~/.config/...) and /etc/posterm/config.toml that exists; else None
    (the built-in demo parameters)."""
    import os
    if explicit is not None:
        return Path(explicit)
    named = os.environ.get("POSTERM_CONFIG")
    if named:
        return Path(named)
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    for candidate in (Path(xdg) / "posterm" / "config.toml", Path("/etc/posterm/config.toml")):
        if candidate.is_file():
            return candidate
    return None


def uses_demo_keys(cfg: Config) -> list[str]:
    """The [keys] that still hold the built-in demo values."""
    demo = KeysConfig()
    return [k for k in ("mac_key", "data_key", "pin_key") if getattr(cfg.keys, k) == getattr(demo, k)]


def is_loopback(address: str) -> bool:
    import ipaddress
    host = address.rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refuse_demo_keys(cfg: Config) -> None:
    """The demo keys are public: they may talk to a host simulator on this machine and to nothing else."""
    demo = uses_demo_keys(cfg)
    remote = [a for a in cfg.host.all_addresses if not is_loopback(a)]
    if demo and remote:
        raise ConfigError(f"config {cfg.source}: [keys] {', '.join(demo)} {'is' if len(demo) == 1 else 'are'} the "
                          f"built-in demo key{'s' if len(demo) > 1 else ''}, refused for host {remote[0]} "
                          "(only a loopback host may use them): load the acquirer's keys into [keys]")


def load(path: str | Path | None) -> Config:
    if path is None:
        return Config()
    p = Path(path)
    try:
        if p.is_dir():
            raise ConfigError(f"config {p}: is a directory, expected a TOML file")
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"config {p}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config {p}: not UTF-8 text") from None
    import tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config {p}: not valid TOML: {e}") from None
    if "keys" in data:
        import stat
        mode = p.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(f"config {p} holds keys and is accessible by group or others "
                              f"(mode {stat.S_IMODE(mode):04o}): run chmod 600 {p}")
    return parse(data, str(p), p.resolve().parent)
