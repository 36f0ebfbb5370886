"""The transaction lifecycle of DESIGN.md as one table every reviewer can read, enforced by the journal.

state -> the states it may move to. Anything else is refused before it is written, so no code path, however
it is reached, can turn a reversed sale into an approved one (a late 0210 never overrides a reversal), advise
a sale that was sent online, or forget a pending reversal.
"""
from __future__ import annotations

from terminal.store.errors import StoreError
from terminal.store.states import TxnState as S

# Where a new row may start.
INITIAL: frozenset[S] = frozenset({
    S.SENDING,          # write-ahead: the 0200 may leave once this is committed
    S.NOT_SENT,         # refused before sending (an earlier reversal still pending)
    S.DECLINED,         # declined by the chip offline (Z1): the host never hears of it
    S.ADVICE_PENDING,   # approved by the chip offline (Y1), advice queued in the same commit
})

TRANSITIONS: dict[S, frozenset[S]] = {
    S.SENDING: frozenset({S.APPROVED, S.DECLINED, S.REVERSAL_PENDING, S.NOT_SENT}),
    S.NOT_SENT: frozenset({S.ADVICE_PENDING, S.DECLINED}),        # chip: unable to go online, Y3 or Z3
    S.APPROVED: frozenset({S.REVERSAL_PENDING, S.VOIDED}),        # chip declined / card removed / operator abort
    S.REVERSAL_PENDING: frozenset({S.REVERSED, S.NEEDS_ATTENTION}),
    S.ADVICE_PENDING: frozenset({S.OFFLINE_APPROVED, S.NEEDS_ATTENTION}),
    S.DECLINED: frozenset(),
    S.REVERSED: frozenset(),
    S.VOIDED: frozenset(),
    S.OFFLINE_APPROVED: frozenset(),
    S.NEEDS_ATTENTION: frozenset(),  # stays visible until someone resolves it with the acquirer
    S.CANCELLED: frozenset(),
}


class LifecycleError(StoreError):
    """A state change the lifecycle does not allow: a defect, refused before anything is written."""


def state_of(word: str) -> S:
    """A caller's state word as a TxnState; a word the lifecycle does not know is a defect like a bad move."""
    try:
        return S(word)
    except ValueError:
        raise LifecycleError(f"{word!r} is not a state of the lifecycle") from None


def check_initial(state: str) -> S:
    """The state a new row starts in, refused unless the lifecycle starts there."""
    start = state_of(state)
    if start not in INITIAL:
        raise LifecycleError(f"a transaction cannot start in state {start.value!r}")
    return start


def check_transition(txn_id: int, before: str, after: str) -> S:
    """The state a row moves to, refused unless the table allows the move."""
    to = state_of(after)
    if to not in TRANSITIONS.get(state_of(before), frozenset()):
        raise LifecycleError(f"transaction {txn_id}: {before} -> {after} is not a transition of the lifecycle")
    return to
