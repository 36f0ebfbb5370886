"""The journal on a real SQLite file: pragmas per connection, STANs, the write-ahead row, a full disk."""
from __future__ import annotations

import datetime as dt
import errno
import os
import sqlite3
import subprocess

import pytest

from terminal.store import Journal, StoreError
from terminal.store.journal import STAN_MAX

LOCAL = dt.datetime(2026, 11, 25, 10, 0, 0)


def _begin(j: Journal, **kw):
    args = dict(kind="purchase", proc_code="000000", amount=100, currency="156", local_time=LOCAL,
                transmitted="1125100000", entry_mode="901", masked_pan="476173******0119")
    return j.begin(**(args | kw))


def test_pragmas_are_set_on_every_open(tmp_path):
    j = Journal(tmp_path / "j.sqlite3")
    assert j._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert j._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    j.close()
    j2 = Journal(tmp_path / "j.sqlite3")
    assert j2._conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    j2.close()


def test_begin_is_visible_to_another_connection_at_once(tmp_path):
    j = Journal(tmp_path / "j.sqlite3")
    row = _begin(j)
    other = sqlite3.connect(tmp_path / "j.sqlite3")
    assert other.execute("SELECT stan, state FROM txn").fetchall() == [(row.stan, "sending")]
    assert other.execute("SELECT state, reason FROM txn_event").fetchall() == [("sending", "request about to be sent")]


def test_stan_increments_survives_reopen_and_wraps(tmp_path):
    j = Journal(tmp_path / "j.sqlite3")
    assert [_begin(j).stan for _ in range(3)] == [1, 2, 3]
    j.close()
    j = Journal(tmp_path / "j.sqlite3")
    assert _begin(j).stan == 4
    j._conn.execute("UPDATE meta SET value=? WHERE key='stan'", (str(STAN_MAX),))
    assert _begin(j).stan == 1  # 999999 then wraps to 000001, never 000000


def test_reversal_queue_gets_its_own_stan_and_moves_state_in_one_commit(tmp_path):
    j = Journal(tmp_path / "j.sqlite3")
    row = _begin(j)
    entry = j.queue(row.id, "reversal", "68", "reversal_pending", "no response within 30 s")
    assert entry.stan == row.stan + 1 and entry.attempts == 0
    assert j.txn(row.id).state == "reversal_pending"
    j.saf_attempt(entry.id, next_at=0)
    j.saf_done(entry, "reversed", "acknowledged")
    assert [s for _, s, _ in j.events(row.id)] == ["sending", "reversal_pending", "reversed"]
    assert j.saf_pending() == []


def test_full_disk_fails_the_commit_and_loses_nothing_committed(tmp_path):
    """A real full file system: a 1 MiB tmpfs mounted for this test (CI runs as root)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], check=True)
    try:
        j = Journal(mnt / "j.sqlite3")
        first = _begin(j)
        fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, bytes(4096)):
                pass
        except OSError as e:
            assert e.errno == errno.ENOSPC
        finally:
            os.close(fd)
        with pytest.raises(StoreError, match="write failed"):
            for _ in range(200):
                _begin(j, masked_pan="x" * 2000)
        (mnt / "filler").unlink()
        j2 = Journal(mnt / "j.sqlite3")
        assert j2.txn(first.id).state == "sending"  # what was committed is still there
        assert _begin(j2).stan > first.stan           # and the journal works again once space is back
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_unreadable_journal_is_a_clear_error(tmp_path):
    bad = tmp_path / "j.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=r"j.sqlite3: cannot open: file is not a database"):
        Journal(bad)


def test_fallback_counters_survive_a_restart(tmp_path):
    """The chip-first allowance is journaled: power-cycling the terminal cannot reset it."""
    from terminal.card.chip_first import ChipFailureState
    from terminal.store.fallbacks import JournalFallbackStore
    day = dt.date(2026, 11, 25)
    j = Journal(tmp_path / "j.sqlite3")
    store = JournalFallbackStore(j)
    store.record_chip_failure(None, day)
    assert store.state("k1", day) == ChipFailureState(1, 0, 0)
    store.record_fallback("k1", day)
    j.close()
    store = JournalFallbackStore(Journal(tmp_path / "j.sqlite3"))
    assert store.state("k1", day) == ChipFailureState(0, 1, 1)   # failure used up, fallback counted
    assert store.state("k2", day) == ChipFailureState(0, 0, 1)   # another card: terminal count only
    assert store.state("k1", day + dt.timedelta(days=1)) == ChipFailureState(0, 0, 0)


def test_begin_txn_takes_a_new_txn_and_begin_is_the_same_commit(journal, new_sale):
    """The dataclass and the keywords write the same row: begin(**kw) is a thin wrapper."""
    from terminal.store import NewTxn, TxnState
    a = journal.begin_txn(new_sale(psn="01"))
    b = journal.begin(kind="purchase", proc_code="000000", amount=100, currency="156", local_time=LOCAL,
                      transmitted="1125100000", entry_mode="051", masked_pan="476173******0119", psn="01")
    assert isinstance(new_sale(), NewTxn)
    same = ("kind", "proc_code", "amount", "currency", "local_time", "transmitted", "entry_mode", "masked_pan",
            "psn", "batch", "state", "message", "original_id", "tsc")
    assert [getattr(a, f) for f in same] == [getattr(b, f) for f in same]
    assert (a.state, b.stan) == (TxnState.SENDING, a.stan + 1)
    assert journal.events(a.id)[0][1:] == ("sending", "request about to be sent")


def test_the_parts_share_one_connection_and_one_commit(journal, new_sale):
    """An offline approval (transactions part) and its advice (saf part) land together or not at all."""
    def seal(txn_id: int) -> bytes:
        raise RuntimeError("sealing failed")
    with pytest.raises(RuntimeError):
        journal.begin_offline(kind="purchase", proc_code="000000", amount=1, currency="156", local_time=LOCAL,
                              entry_mode="051", masked_pan="x", psn=None, chip_code="Y1", seal=seal, message="")
    assert journal.txns() == [] and journal.saf_all() == []
    assert journal.transactions.db is journal.saf.db is journal.batches.db is journal.counters.db is journal.db
