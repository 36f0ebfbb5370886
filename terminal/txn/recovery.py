"""Crash recovery at start: nothing the terminal may have sent stays in doubt.

A row still 'sending' was committed before its request may have left, and its outcome was never recorded:
the host may have approved it. It is reversed (reason 68). SAF entries need nothing here: their attempt
counts were committed before each send, so the next delivery is a repeat (0401/0221) with the same STAN.
"""
from __future__ import annotations

from terminal.i18n.text import N_
from terminal.store import Journal
from terminal.store.states import TxnState
from terminal.txn.verdict import REVERSAL_NO_RESPONSE

IN_DOUBT = "terminal restarted before the outcome was recorded: outcome unknown"


def recover(journal: Journal) -> list[int]:
    """Queue a reversal for every in-doubt transaction; returns their ids."""
    ids = []
    for row in journal.txns_in_state(TxnState.SENDING):
        journal.queue(row.id, "reversal", REVERSAL_NO_RESPONSE, TxnState.REVERSAL_PENDING, IN_DOUBT,
                      message=N_("NO RESPONSE: reversing, customer not charged"))
        ids.append(row.id)
    return ids
