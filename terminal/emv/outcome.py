"""What a kernel run tells the transaction engine: the decision, the registers, field 55 for the 0200 and for
advices, the card data the 0200 needs, and whether a reversal is due. `__repr__` never shows PAN or track data."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from terminal.emv.tvr import TSI_BITS, TVR_BITS, names_of


class Decision(str, Enum):
    OFFLINE_APPROVED = "offline_approved"          # Y1
    OFFLINE_DECLINED = "offline_declined"          # Z1
    UNABLE_ONLINE_APPROVED = "unable_online_approved"   # Y3
    UNABLE_ONLINE_DECLINED = "unable_online_declined"   # Z3
    GO_ONLINE = "go_online"                        # ARQC: send the 0200, then resume the kernel
    ONLINE_APPROVED = "online_approved"
    ONLINE_DECLINED = "online_declined"
    ABORTED = "aborted"

    @property
    def approved(self) -> bool:
        return self in (Decision.OFFLINE_APPROVED, Decision.UNABLE_ONLINE_APPROVED, Decision.ONLINE_APPROVED)


CHIP_RESPONSE_CODES = {Decision.OFFLINE_APPROVED: "Y1", Decision.OFFLINE_DECLINED: "Z1",
                       Decision.UNABLE_ONLINE_APPROVED: "Y3", Decision.UNABLE_ONLINE_DECLINED: "Z3"}


def mask_pan(pan: str) -> str:
    return pan[:6] + "*" * max(len(pan) - 10, 0) + pan[-4:] if len(pan) > 10 else "*" * len(pan)


@dataclass
class Outcome:
    decision: Decision
    reason: str = ""
    tvr: bytes = bytes(5)
    tsi: bytes = bytes(2)
    cvm_results: bytes = b"\x3f\x00\x00"
    cvm: str = ""                       # offline_pin, online_pin, signature, no_cvm, failed, ...
    field55_request: bytes = b""        # for the 0200 (ARQC), or the 0220 of an offline approval
    field55_advice: bytes = b""         # with the final cryptogram (TC/AAC) and 9F5B: 0220/0400/0320
    pan: str = field(default="", repr=False)
    expiry: str = field(default="", repr=False)         # YYMM (field 14)
    psn: str = ""                       # 3 digits (field 23), '' when the card has no 5F34
    track2: str = field(default="", repr=False)         # tag 57 as ASCII with '=' (field 35)
    entry_mode: str = "051"             # field 22: 051 contact, 071 contactless
    pin_block: bytes | None = field(default=None, repr=False)   # field 52 when online PIN was entered
    signature_required: bool = False
    reversal_needed: bool = False
    application: str = ""               # AID hex
    application_label: str = ""        # directory entry's, else the FCI's (50, or 9F12 when 9F11 is supported)
    language_preference: str = ""       # 5F2D, pairs of ISO 639 letters
    cryptogram: str = ""                # 'TC', 'AAC' or 'ARQC' last returned by the card
    issuer_script_results: bytes = b""
    apdu_count: int = 0
    # contactless (Book B 3.5): the kernel that ran ('C-3', 'C-2'), the Entry Point outcome (approved, declined,
    # online_request, try_again, try_another_interface, end_application) and the user interface request for
    # the cardholder ('See phone for instructions', 'Card read OK, remove card', ...)
    kernel: str = ""
    contactless_outcome: str = ""
    ui_request: str = ""
    alternate_interface: str = ""
    issuer_update: str = ""             # C-3 second tap: what reached the card ('' when none was asked for)

    @property
    def chip_response_code(self) -> str | None:
        """Y1/Z1/Y3/Z3 for field 39 of advices (host-interface.md), None for online decisions."""
        return CHIP_RESPONSE_CODES.get(self.decision)

    @property
    def masked_pan(self) -> str:
        return mask_pan(self.pan)

    def tvr_names(self) -> list[str]:
        return names_of(TVR_BITS, self.tvr)

    def tsi_names(self) -> list[str]:
        return names_of(TSI_BITS, self.tsi)

    def summary(self) -> str:
        """One line for logs and the operator: no card data."""
        text = f"{self.decision.value}"
        if self.reason:
            text += f": {self.reason}"
        return f"{text} (TVR {self.tvr.hex().upper()}, CVM {self.cvm or 'none'}, PAN {self.masked_pan})"
