"""What a contactless kernel hands back to the Entry Point (Book B 3.5, Book A 6.2): the outcome, and the user
interface request that goes with it (Book A 7.2 message identifiers)."""
from __future__ import annotations

from dataclasses import dataclass

from terminal.emv.outcome import Decision

APPROVED, DECLINED, ONLINE_REQUEST = "approved", "declined", "online_request"
TRY_AGAIN, SELECT_NEXT, TRY_ANOTHER_INTERFACE, END_APPLICATION = ("try_again", "select_next",
                                                                  "try_another_interface", "end_application")

# Book A user interface request messages used here: (identifier, text)
UI = {
    "approved": ("03", "Approved"),
    "not_authorised": ("07", "Not authorised"),
    "approved_sign": ("1A", "Approved, please sign"),
    "remove_card": ("17", "Card read OK, remove card"),
    "authorising": ("1B", "Authorising, please wait"),
    "insert_swipe_other": ("1C", "Insert, swipe or try another card"),
    "insert_card": ("1D", "Please insert card"),
    "see_phone": ("20", "See phone for instructions"),
    "present_again": ("21", "Present card again"),
}


@dataclass(frozen=True)
class KernelOutcome:
    kind: str                          # one of the outcomes above
    decision: Decision
    reason: str = ""
    ui: str = ""                       # a key of UI
    alternate_interface: str = ""      # try another interface: 'contact' (insert) or 'magstripe'


def ui_text(key: str) -> str:
    return UI[key][1] if key in UI else ""


def host_answered(k, host, request55: bytes, cvm: str, unreachable: str) -> KernelOutcome:
    """The host's answer to a kernel that asked online with its only cryptogram (Book C-2 and C-3 have no
    second GENERATE AC): the ARC goes into 8A and the answer decides. With no answer the ARQC cannot become
    an offline approval: Z3, declined, `unreachable` saying why."""
    ctx = k.ctx
    if host is None:
        ctx.terminal[0x8A] = b"Z3"
        k.outcome = k._outcome(Decision.UNABLE_ONLINE_DECLINED, unreachable, request55)
        return KernelOutcome(DECLINED, Decision.UNABLE_ONLINE_DECLINED, "", "not_authorised")
    ctx.terminal[0x8A] = host.response_code.encode("ascii")[:2].ljust(2, b"0")
    k._host_approved = host.approved
    if host.approved:
        k.outcome = k._outcome(Decision.ONLINE_APPROVED, "", request55)
        return KernelOutcome(APPROVED, Decision.ONLINE_APPROVED, "",
                             "approved_sign" if cvm == "signature" else "approved")
    k.outcome = k._outcome(Decision.ONLINE_DECLINED, f"host declined ({host.response_code})", request55)
    return KernelOutcome(DECLINED, Decision.ONLINE_DECLINED, "", "not_authorised")
