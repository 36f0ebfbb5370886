"""The lifecycle table, enforced by the journal on a real SQLite file: every pair outside the table is refused
and nothing is written."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from terminal.store import Journal
from terminal.store.lifecycle import INITIAL, TRANSITIONS, LifecycleError

STATES = sorted(TRANSITIONS)


def _row(j: Journal, state: str):
    """A row brought to `state` through legal transitions only."""
    path = {"sending": [], "not_sent": [], "declined": [], "advice_pending": [],
            "approved": ["approved"], "reversal_pending": ["reversal_pending"],
            "reversed": ["reversal_pending", "reversed"], "needs_attention": ["reversal_pending", "needs_attention"],
            "voided": ["approved", "voided"], "offline_approved": ["offline_approved"]}
    start = state if state in INITIAL else ("advice_pending" if state == "offline_approved" else "sending")
    row = j.begin(kind="purchase", proc_code="000000", amount=1, currency="156", local_time=dt.datetime(2026, 1, 1),
                  transmitted="", entry_mode="051", masked_pan="x", state=start)
    for s in path[state]:
        j.set_state(row.id, s, "test")
    return row


@pytest.mark.parametrize("before, after", [(b, a) for b, a in itertools.product(STATES, STATES)
                                            if b != "cancelled"])
def test_every_pair(tmp_path, before, after):
    j = Journal(tmp_path / "j.sqlite3")
    row = _row(j, before)
    assert j.txn(row.id).state == before
    if after in TRANSITIONS[before]:
        j.set_state(row.id, after, "test")
        assert j.txn(row.id).state == after
    else:
        events = j.events(row.id)
        with pytest.raises(LifecycleError, match=f"{before} -> {after} is not a transition"):
            j.set_state(row.id, after, "test")
        assert j.txn(row.id).state == before and j.events(row.id) == events  # nothing written


def test_a_late_approval_never_overrides_a_reversal(tmp_path):
    j = Journal(tmp_path / "j.sqlite3")
    row = _row(j, "reversed")
    with pytest.raises(LifecycleError):
        j.set_state(row.id, "approved", "late 0210", response_code="00")
    assert j.txn(row.id).response_code is None


def test_rows_start_only_where_the_lifecycle_starts(tmp_path):
    j = Journal(tmp_path / "j.sqlite3")
    with pytest.raises(LifecycleError, match="cannot start in state 'approved'"):
        j.begin(kind="purchase", proc_code="000000", amount=1, currency="156", local_time=dt.datetime(2026, 1, 1),
                transmitted="", entry_mode="051", masked_pan="x", state="approved")
