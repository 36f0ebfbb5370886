"""The journal's quiet points and refusals at their edges (store/journal.py, store/transactions.py): the marks are
made durable at close even after a failed commit dropped the connection, and from the journal itself when a read
of them after a commit failed; a quiet point after a quiet point syncs nothing; a sale refused for want of its
reserve says the disk is full when the disk cannot say more; a move the lifecycle refuses names its row."""
from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from pathlib import Path

import pytest

from terminal.store import Journal, NewTxn, TxnState
from terminal.store import identity as idf
from terminal.store.db import DiskFull
from terminal.store.errors import StoreError
from terminal.store.lifecycle import LifecycleError

NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)
SALE = NewTxn(kind="purchase", proc_code="000000", amount=1234, currency="156",
              local_time=dt.datetime(2026, 12, 1, 17, 30), transmitted="1201093000", entry_mode="051",
              masked_pan="476173******0010")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    return tmp_path / "data" / "journal.sqlite3"


@pytest.fixture
def synced(monkeypatch) -> list[int]:
    """A spy on os.fsync (the real fsync still runs; SQLite's own syncs do not pass through it)."""
    real, calls = os.fsync, []
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real(fd))[1])
    return calls


def open_(path: Path) -> Journal:
    return Journal(path, terminal_id="TERM0001", utc=lambda: NOW)


def marks_in_file(path: Path) -> tuple[int, int, int]:
    got = json.loads(path.with_name("journal.identity").read_text())
    return got["stan"], got["batch"], got["txn_id"]


class FailingCommit:
    """The commit fails as a full disk's would: nothing of it recorded, the connection dropped."""
    def before(self) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    def after(self) -> None:
        pass


def test_close_after_a_failed_commit_still_makes_the_moved_marks_durable(path, synced):
    j = open_(path)
    j.begin_txn(SALE)                              # moves the marks: written, not yet synced
    made = len(synced)
    j.db.commit_faults = FailingCommit()
    with pytest.raises(StoreError):
        j.note(1, "operator note")
    j.db.commit_faults = None
    assert j._conn is None                         # the failed commit dropped the connection
    assert len(synced) == made
    j.close()                                      # the quiet point: the file and its directory
    assert len(synced) == made + 2
    assert marks_in_file(path) == (1, 1, 1)


def test_a_failed_read_of_the_marks_after_a_commit_is_made_good_from_the_journal_at_the_quiet_point(path,
                                                                                                   monkeypatch):
    j = open_(path)
    real = idf.Marks.of

    def broken(conn):
        raise sqlite3.OperationalError("disk I/O error")
    monkeypatch.setattr(idf.Marks, "of", staticmethod(broken))
    j.begin_txn(SALE)                              # committed; its marks could not be read after it
    monkeypatch.setattr(idf.Marks, "of", staticmethod(real))
    assert j.txn(1).state is TxnState.SENDING
    assert marks_in_file(path) == (0, 1, 0)        # behind: the safe side
    j.sync_identity()                              # the quiet point reads them from the journal itself
    assert marks_in_file(path) == (1, 1, 1)
    j.close()
    assert marks_in_file(path) == (1, 1, 1)


def test_a_quiet_point_after_a_quiet_point_syncs_nothing(path, synced):
    j = open_(path)
    j.begin_txn(SALE)
    made = len(synced)
    j.sync_identity()
    assert len(synced) == made + 2 and marks_in_file(path) == (1, 1, 1)
    j.sync_identity()                              # nothing moved since
    j.close()
    assert len(synced) == made + 2


def test_a_settlement_then_close_syncs_the_identity_once(path, synced):
    j = open_(path)
    sid, _ = j.begin_settlement(1, (0, 0), (0, 0))
    made = len(synced)
    j.end_settlement(sid, "closed", "00", "batch closed")   # the quiet point: the new batch is durable
    assert len(synced) == made + 2 and marks_in_file(path)[1] == 2
    j.close()
    assert len(synced) == made + 2


def test_a_sale_without_its_reserve_is_refused_saying_the_disk_is_full(path):
    path.with_name("journal.reserve").mkdir()      # the reserve cannot be made, though the disk has room
    j = open_(path)
    with pytest.raises(DiskFull) as e:
        j.begin_txn(SALE)
    assert str(e.value) == (f"journal {path}: no room for the journal.reserve that keeps space to record the"
                            " outcome, so nothing was sent (the disk is full)")
    assert j.txns() == []                          # nothing was written ahead, so nothing left
    j.close()


def test_a_move_the_lifecycle_refuses_names_the_transaction(path):
    j = open_(path)
    j.begin_txn(SALE)
    row = j.begin_txn(SALE)
    j.set_state(row.id, TxnState.DECLINED, "declined by host", response_code="05")
    with pytest.raises(LifecycleError) as e:
        j.set_state(row.id, TxnState.APPROVED, "late 0210")
    assert str(e.value) == f"transaction {row.id}: declined -> approved is not a transition of the lifecycle"
    assert row.id == 2 and j.txn(row.id).state is TxnState.DECLINED
    j.close()


def test_the_reserve_is_a_private_file_of_its_full_size(path):
    old = os.umask(0o022)
    try:
        j = open_(path)
    finally:
        os.umask(old)
    st = path.with_name("journal.reserve").stat()
    assert (st.st_mode & 0o777, st.st_size) == (0o600, 256 * 1024)
    j.close()


def test_a_failed_read_of_the_marks_at_open_is_refused_naming_the_journal(path, monkeypatch):
    open_(path).close()

    def broken(conn):
        raise sqlite3.OperationalError("disk I/O error")
    real = idf.Marks.of
    monkeypatch.setattr(idf.Marks, "of", staticmethod(broken))
    with pytest.raises(StoreError) as e:
        open_(path)
    assert str(e.value) == f"journal {path}: read failed: disk I/O error"
    monkeypatch.setattr(idf.Marks, "of", staticmethod(real))
    open_(path).close()                            # nothing was spoiled by the refusal
