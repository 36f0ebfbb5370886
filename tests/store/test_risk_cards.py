"""Card hashes for the risk rules (terminal/store/risk.py): written in the transaction's own commit, read through
an index, and erased once past the policy's longest window, in a later transaction's commit."""
from __future__ import annotations

import dataclasses
import datetime as dt

from terminal.store import Journal


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now


def test_a_hash_rides_in_its_rows_commit_and_is_erased_past_the_longest_window(tmp_path, new_sale):
    clock = Clock()
    journal = Journal(tmp_path / "j.sqlite3", utc=clock)
    journal.risk.keep_s = 600
    commits = []
    journal.db.on_commit = lambda: commits.append(1)
    first = journal.begin_txn(dataclasses.replace(new_sale(), card_hash="a" * 64,
                                                  risk=(("duplicate_charge", "confirmed by the operator", "x"),)))
    assert len(commits) == 1                                        # row, hash and alert: one commit
    assert [t.txn_id for t in journal.risk.recent("a" * 64, "2026-12-01T09:50:00")] == [first.id]
    assert journal.alerts.open()[0].txn_id == first.id
    clock.now += dt.timedelta(seconds=601)
    journal.begin_txn(dataclasses.replace(new_sale(), card_hash="b" * 64))
    rows = journal.db.read("SELECT card_hash FROM risk_card")
    assert [r[0] for r in rows] == ["b" * 64]                       # the first hash is gone, its row stays
    assert journal.txn(first.id).id == first.id
    clock.now += dt.timedelta(seconds=601)
    assert journal.risk.erase_old(journal.db.now()) == 1            # the upkeep path, with no sale to ride on
    assert journal.db.read("SELECT COUNT(*) FROM risk_card")[0][0] == 0
    plan = " ".join(r[3] for r in journal.db.read(
        "EXPLAIN QUERY PLAN SELECT txn.id FROM risk_card JOIN txn ON txn.id = risk_card.txn_id"
        " WHERE risk_card.card_hash = ? AND risk_card.at >= ?", ("a" * 64, "x")))
    assert "USING INDEX risk_card_hash" in plan or "USING COVERING INDEX risk_card_hash" in plan
    journal.close()
