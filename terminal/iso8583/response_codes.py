"""Field 39: what each code means and what the terminal does and shows (host-interface.md), as data."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


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
    ("00", "approved", Action.APPROVE, "APPROVED"),
    ("01", "refer to card issuer", Action.DECLINE, "DECLINED: call issuer"),
    ("03", "invalid merchant", Action.DECLINE, "DECLINED: merchant not enabled"),
    ("05", "do not honour", Action.DECLINE, "DECLINED: do not honour"),
    ("12", "invalid transaction", Action.DECLINE, "DECLINED: transaction not allowed"),
    ("13", "invalid amount", Action.DECLINE, "DECLINED: invalid amount"),
    ("14", "invalid card number", Action.DECLINE, "DECLINED: invalid card number"),
    ("25", "unable to locate original", Action.NOTHING_TO_REVERSE, "Original not found: nothing to reverse"),
    ("30", "format error", Action.DECLINE, "DECLINED: host format error, call support"),
    ("51", "insufficient funds", Action.DECLINE, "DECLINED: insufficient funds"),
    ("54", "expired card", Action.DECLINE, "DECLINED: card expired"),
    ("55", "incorrect PIN", Action.DECLINE, "DECLINED: incorrect PIN, try again"),
    ("58", "transaction not permitted to terminal", Action.DECLINE, "DECLINED: not permitted on this terminal"),
    ("59", "suspected fraud", Action.DECLINE, "DECLINED: do not honour"),
    ("61", "exceeds amount limit", Action.DECLINE, "DECLINED: amount limit exceeded"),
    ("63", "security violation", Action.DECLINE, "DECLINED: security error, call support"),
    ("65", "exceeds frequency limit", Action.DECLINE, "DECLINED: frequency limit exceeded"),
    ("91", "issuer or switch unavailable", Action.RETRY_LATER, "DECLINED: issuer unavailable, try later"),
    ("94", "duplicate transmission", Action.ALREADY_DONE, "Already processed"),
    ("95", "reconciliation error", Action.RECONCILE, "Batch out of balance: uploading and settling again"),
    ("96", "system malfunction", Action.RETRY_LATER, "DECLINED: host error, try later"),
]
CODES: dict[str, ResponseCode] = {c: ResponseCode(c, m, a, line) for c, m, a, line in _TABLE}


def lookup(code: str) -> ResponseCode:
    """Codes outside the page decline: an unknown answer must never be taken as an approval."""
    return CODES.get(code) or ResponseCode(code, "not in the host interface", Action.DECLINE,
                                           f"DECLINED: host code {code}")
