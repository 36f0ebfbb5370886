"""The transaction lifecycle of DESIGN.md as one table every reviewer can read, enforced by the journal.

state -> the states it may move to. Anything else is refused before it is written, so no code path, however
it is reached, can turn a reversed sale into an approved one (a late 0210 never overrides a reversal), advise
a sale that was sent online, or forget a pending reversal.
"""
from __future__ import annotations

from terminal.store.errors import StoreError

# Where a new row may start.
INITIAL = frozenset({
    "sending",          # write-ahead: the 0200 may leave once this is committed
    "not_sent",         # refused before sending (an earlier reversal still pending)
    "declined",         # declined by the chip offline (Z1): the host never hears of it
    "advice_pending",   # approved by the chip offline (Y1), advice queued in the same commit
})

TRANSITIONS: dict[str, frozenset[str]] = {
    "sending": frozenset({"approved", "declined", "reversal_pending", "not_sent"}),
    "not_sent": frozenset({"advice_pending", "declined"}),        # chip: unable to go online, Y3 or Z3
    "approved": frozenset({"reversal_pending", "voided"}),        # chip declined / card removed / operator abort
    "reversal_pending": frozenset({"reversed", "needs_attention"}),
    "advice_pending": frozenset({"offline_approved", "needs_attention"}),
    "declined": frozenset(),
    "reversed": frozenset(),
    "voided": frozenset(),
    "offline_approved": frozenset(),
    "needs_attention": frozenset(),  # stays visible until someone resolves it with the acquirer
    "cancelled": frozenset(),
}


class LifecycleError(StoreError):
    """A state change the lifecycle does not allow: a defect, refused before anything is written."""


def check_initial(state: str) -> None:
    if state not in INITIAL:
        raise LifecycleError(f"a transaction cannot start in state {state!r}")


def check_transition(txn_id: int, before: str, after: str) -> None:
    if after not in TRANSITIONS.get(before, frozenset()):
        raise LifecycleError(f"transaction {txn_id}: {before} -> {after} is not a transition of the lifecycle")
