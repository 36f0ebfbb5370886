"""The data a sale carries in and out of the engine."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from terminal.store.states import TxnState

# Journal state -> the outcome word of cli-contract.md's JSON result (which is not always the state's name).
OUTCOME: dict[TxnState, str] = {
    TxnState.APPROVED: "approved", TxnState.OFFLINE_APPROVED: "offline_approved",
    TxnState.ADVICE_PENDING: "offline_approved", TxnState.DECLINED: "declined", TxnState.REVERSED: "reversed",
    TxnState.REVERSAL_PENDING: "reversal_pending", TxnState.CANCELLED: "cancelled", TxnState.NOT_SENT: "not_sent",
    TxnState.NEEDS_ATTENTION: "needs_attention", TxnState.SENDING: "reversal_pending", TxnState.VOIDED: "voided",
}
EXIT = {"approved": 0, "offline_approved": 0, "declined": 1}


@dataclass(frozen=True)
class CardInput:
    """Card data for one request. Track 2 and PIN block live only in memory, for the one request."""
    entry_mode: str
    masked_pan: str
    track2: str | None = field(default=None, repr=False)
    pan: str | None = field(default=None, repr=False)
    expiry: str | None = field(default=None, repr=False)
    psn: str | None = None
    icc: bytes | None = field(default=None, repr=False)
    pin_block: bytes | None = field(default=None, repr=False)


@dataclass
class SaleResult:
    id: int | None
    stan: int | None
    outcome: str
    response_code: str | None
    auth_code: str | None
    rrn: str | None
    amount: int
    currency: str
    masked_pan: str
    entry_mode: str
    message: str
    device_error: bool = False   # the card or reader failed before anything was sent: exit 4
    reason: str = ""             # why, for the log and --json, when no transaction row exists

    @property
    def exit_code(self) -> int:
        return 4 if self.device_error else EXIT.get(self.outcome, 3)

    def to_json(self) -> dict:
        out = asdict(self)
        out.pop("device_error")
        if not out["reason"]:
            out.pop("reason")
        return out
