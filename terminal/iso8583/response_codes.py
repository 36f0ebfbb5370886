"""Field 39: what each code means and what the terminal does and shows (host-interface.md), as data."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from terminal.i18n.text import N_


class Action(Enum):
    APPROVE = "approve"
    DECLINE = "decline"
    RETRY_LATER = "decline, may retry later"
    NOTHING_TO_REVERSE = "reversal complete: nothing to reverse"
    ALREADY_DONE = "already done: complete"
    RECONCILE = "batch upload, then settle again"


@dataclass(frozen=True)
class ResponseCode:
    code: str
    meaning: str
    action: Action
    operator_line: str


_TABLE = [
    ("00", N_("approved"), Action.APPROVE, N_("APPROVED")),
    ("01", N_("refer to card issuer"), Action.DECLINE, N_("DECLINED: call issuer")),
    ("03", N_("invalid merchant"), Action.DECLINE, N_("DECLINED: merchant not enabled")),
    ("05", N_("do not honour"), Action.DECLINE, N_("DECLINED: do not honour")),
    ("12", N_("invalid transaction"), Action.DECLINE, N_("DECLINED: transaction not allowed")),
    ("13", N_("invalid amount"), Action.DECLINE, N_("DECLINED: invalid amount")),
    ("14", N_("invalid card number"), Action.DECLINE, N_("DECLINED: invalid card number")),
    ("25", N_("unable to locate original"), Action.NOTHING_TO_REVERSE, N_("Original not found: nothing to reverse")),
    ("30", N_("format error"), Action.DECLINE, N_("DECLINED: host format error, call support")),
    ("51", N_("insufficient funds"), Action.DECLINE, N_("DECLINED: insufficient funds")),
    ("54", N_("expired card"), Action.DECLINE, N_("DECLINED: card expired")),
    ("55", N_("incorrect PIN"), Action.DECLINE, N_("DECLINED: incorrect PIN, try again")),
    ("58", N_("transaction not permitted to terminal"), Action.DECLINE, N_("DECLINED: not permitted on this terminal")),
    ("59", N_("suspected fraud"), Action.DECLINE, N_("DECLINED: do not honour")),
    ("61", N_("exceeds amount limit"), Action.DECLINE, N_("DECLINED: amount limit exceeded")),
    ("63", N_("security violation"), Action.DECLINE, N_("DECLINED: security error, call support")),
    ("65", N_("exceeds frequency limit"), Action.DECLINE, N_("DECLINED: frequency limit exceeded")),
    ("91", N_("issuer or switch unavailable"), Action.RETRY_LATER, N_("DECLINED: issuer unavailable, try later")),
    ("94", N_("duplicate transmission"), Action.ALREADY_DONE, N_("Already processed")),
    ("95", N_("reconciliation error"), Action.RECONCILE, N_("Batch out of balance: uploading and settling again")),
    ("96", N_("system malfunction"), Action.RETRY_LATER, N_("DECLINED: host error, try later")),
]
CODES: dict[str, ResponseCode] = {c: ResponseCode(c, m, a, line) for c, m, a, line in _TABLE}


def lookup(code: str) -> ResponseCode:
    """Codes outside the page decline: an unknown answer must never be taken as an approval."""
    return CODES.get(code) or ResponseCode(code, N_("not in the host interface"), Action.DECLINE,
                                           N_("DECLINED: host code {code}", code=code))
