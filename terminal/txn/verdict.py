"""What the terminal concludes from what came back for an online request: pure, so every case is a table row.

The rule that matters: anything but a well-formed, correctly MACed response for our own STAN means the
outcome is unknown, and an unknown outcome is reversed (reason 68), never guessed.
"""
from __future__ import annotations

from dataclasses import dataclass

from terminal.i18n.text import N_
from terminal.iso8583 import Message
from terminal.iso8583.response_codes import Action, lookup
from terminal.store.states import TxnState

REVERSAL_NO_RESPONSE = "68"
REVERSAL_CANNOT_COMPLETE = "06"
REVERSAL_CANCELLED = "17"


@dataclass(frozen=True)
class Verdict:
    state: TxnState              # journal state
    reason: str                  # journal reason (one line, no card data)
    message: str                 # operator line
    response_code: str | None = None
    reversal: str | None = None  # field 39 of the reversal to queue, if any
    auth_code: str | None = None
    rrn: str | None = None
    issuer_data: bytes = b""     # field 55 of the 0210, for the chip (tag 91, scripts 71/72)


def from_response(response: Message) -> Verdict:
    """The verdict on an answer that exchange.read_answer accepted (our MTI and STAN, MAC verified)."""
    code = str(response.fields.get(39, ""))
    rc = lookup(code)
    rrn = response.fields.get(37)
    auth = response.fields.get(38)
    issuer = response.fields.get(55)
    issuer = issuer if isinstance(issuer, bytes) else b""
    if rc.action is Action.APPROVE:
        return Verdict(TxnState.APPROVED, "host approved", rc.operator_line, code, auth_code=auth and str(auth).strip(),
                       rrn=rrn and str(rrn), issuer_data=issuer)
    reason = f"host declined: {code} {rc.meaning}"
    if code == "63":
        reason += "; key set flagged for attention"
    return Verdict(TxnState.DECLINED, reason, rc.operator_line, code, rrn=rrn and str(rrn), issuer_data=issuer)


def no_response(why: str) -> Verdict:
    """Sent, and nothing trustworthy came back (timeout, bad MAC, another STAN or MTI): reverse, never guess."""
    return Verdict(TxnState.REVERSAL_PENDING, f"{why}: outcome unknown", N_("NO RESPONSE: reversing, customer not charged"),
                   reversal=REVERSAL_NO_RESPONSE)


def not_sent(why: str) -> Verdict:
    return Verdict(TxnState.NOT_SENT, f"{why}: nothing sent", N_("HOST UNREACHABLE: card not charged, try again"))
