"""The driver's side of the risk rules: read what the journal says about a card, and ask the person at the
keypad. The rules themselves are pure (terminal/risk/rules.py) and run in the sale core."""
from __future__ import annotations

import datetime as dt

from terminal.risk.rules import Facts, Seen
from terminal.keypad.pinpad import TypedDigits
from terminal.risk.supervisor import matches
from terminal.store import Journal
from terminal.txn import core as c


def risk_facts(journal: Journal, e: c.LookUpRisk) -> Facts:
    """Two indexed reads, no commit: the card's recent transactions and the day's refunds."""
    seen = tuple(Seen(t.stan, t.kind, t.amount, t.state, dt.datetime.fromisoformat(t.at), t.local_time)
                 for t in journal.risk.recent(e.card_hash, e.since))
    return Facts(seen, journal.risk.refunds_since(e.day_start))


class SupervisorPinEntry(TypedDigits):
    """The supervisor's PIN as typed: checked once against its hash, then gone."""

    def __init__(self, stored: str) -> None:
        super().__init__()
        self._stored = stored

    def verified(self) -> bool:
        typed = self.take()
        return typed is not None and matches(typed, self._stored)


def ask_operator(operator, e: c.AskOperator, pin_hash: str) -> bool:
    """ENTER = yes, anything else (or nobody) = no; the supervisor's PIN is checked against its hash and wiped.
    An operator who cannot be asked (no keypad) answers no: the default."""
    if not operator.interactive:
        return False
    if e.supervisor:
        entry = SupervisorPinEntry(pin_hash)
        return operator.supervisor_pin(e.title, entry) and entry.verified()
    return operator.confirm(e.title, e.value)
