"""`posterm journal new` in process (terminal/store/upkeep.py start_new and _old_marks) on real SQLite files:
the old journal and its identity are kept aside, renamed, never deleted; the new journal continues above the
highest STAN and batch anything recorded (file or identity), so the host never sees a STAN again in a batch;
and a journal that still owes the host a message is not put aside unless the operator forces it."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import time
from pathlib import Path

import pytest

from terminal.store import StoreError
from terminal.store import identity as idf
from terminal.store.upkeep import start_new
from tests.mutation.store_open_books import SALE, approved, open_journal, sales

STAMP = r"\d{8}T\d{6}Z"


def _aside(kept, name):
    """The one file kept aside for `name`, checked to be named NAME.<UTC stamp>.old."""
    [found] = [k for k in kept if k.name.startswith(name + ".")]
    assert re.fullmatch(re.escape(name) + r"\." + STAMP + r"\.old", found.name), found.name
    return found


def _meta(path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())
    finally:
        conn.close()


def _continues(path, ident, stan, batch):
    """The new journal opens under its identity, empty, with the next STAN and the batch it was given."""
    assert idf.read(idf.path_beside(path)) == ident
    assert _meta(path) == {"creation_id": ident.creation_id, "terminal_id": ident.terminal_id, "stan": str(stan),
                           "batch": str(batch)}
    j = open_journal(path)
    try:
        assert j.txns() == [] and j.current_batch() == batch
        row = j.begin_txn(SALE)
        assert (row.stan, row.batch, row.id) == (stan % 999_999 + 1, batch, 1)
    finally:
        j.close()


def test_the_old_journal_is_kept_aside_and_the_new_one_continues_above_it(tmp_path, monkeypatch):
    path = tmp_path / "journal.sqlite3"
    sales(path, 3)
    old = idf.read(idf.path_beside(path))
    monkeypatch.setenv("TZ", "Asia/Shanghai")  # the stamp is UTC whatever the terminal's zone
    time.tzset()
    try:
        before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        ident, kept = start_new(path, "TERM0001")
        after = dt.datetime.now(dt.timezone.utc)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    book, side = _aside(kept, "journal.sqlite3"), _aside(kept, "journal.identity")
    # the old file's -wal and -shm go with it (reading it left them there), its identity last
    assert kept == [book, _aside(kept, "journal.sqlite3-wal"), _aside(kept, "journal.sqlite3-shm"), side]
    assert book.parent == tmp_path
    stamp = dt.datetime.strptime(book.name.split(".")[2], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
    assert before <= stamp <= after
    assert idf.read(side) == old  # the old identity, untouched, beside the old books
    conn = sqlite3.connect(f"file:{book}?mode=ro", uri=True)
    assert [r[0] for r in conn.execute("SELECT amount FROM txn ORDER BY id")] == [100, 200, 300]
    conn.close()
    assert (ident.terminal_id, ident.stan, ident.batch, ident.txn_id) == ("TERM0001", 3, 2, 0)
    assert ident.creation_id != old.creation_id and re.fullmatch(r"[0-9a-f]{16}", ident.creation_id)
    assert dt.datetime.fromisoformat(ident.created_at).tzinfo is not None
    assert ident.previous == [{"creation_id": old.creation_id, "kept_as": book.name, "stan": 3, "batch": 1,
                               "txn_id": 3}]
    _continues(path, ident, 3, 2)


def test_each_new_journal_remembers_every_one_before_it(tmp_path):
    path = tmp_path / "journal.sqlite3"
    sales(path, 1)
    first = idf.read(idf.path_beside(path)).creation_id
    second, _ = start_new(path, "TERM0001")
    j = open_journal(path)
    approved(j)
    j.close()
    third, kept = start_new(path, "TERM0001")
    assert [p["creation_id"] for p in third.previous] == [first, second.creation_id]
    assert third.previous[1] == {"creation_id": second.creation_id, "kept_as": _aside(kept, "journal.sqlite3").name,
                                 "stan": 2, "batch": 2, "txn_id": 1}
    assert (third.stan, third.batch) == (2, 3)


def test_a_journal_that_owes_the_host_is_not_put_aside_unless_forced(tmp_path):
    path = tmp_path / "journal.sqlite3"
    j = open_journal(path)
    approved(j)
    for _ in range(2):
        j.queue(j.begin_txn(SALE).id, "reversal", "68", "reversal_pending", "no response")
    j.begin_txn(SALE)  # sent, the terminal died before its outcome
    j.close()
    side = idf.read(idf.path_beside(path))
    with pytest.raises(StoreError) as refused:
        start_new(path, "TERM0001")
    assert str(refused.value) == (
        f"journal {path}: 2 reversal(s) still waiting for the host, 1 transaction(s) sent with no recorded"
        " outcome: deliver them first (`posterm saf flush`), or start a new journal anyway with"
        " `posterm journal new --force`")
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".old")] and idf.read(idf.path_beside(path)) == side
    assert path.stat().st_size > 0  # nothing moved
    ident, kept = start_new(path, "TERM0001", force=True)
    # STANs 1..4 went to the sales, 5 and 6 to the reversals (a reversal takes a STAN of its own)
    assert (ident.stan, ident.batch) == (6, 2)
    assert ident.previous[-1] == {"creation_id": side.creation_id, "kept_as": _aside(kept, "journal.sqlite3").name,
                                  "stan": 6, "batch": 1, "txn_id": 4}
    conn = sqlite3.connect(_aside(kept, "journal.sqlite3"))
    assert conn.execute("SELECT COUNT(*) FROM saf WHERE state='pending'").fetchone()[0] == 2  # kept with the books
    conn.close()
    _continues(path, ident, 6, 2)


def test_an_advice_still_owed_is_named(tmp_path):
    path = tmp_path / "journal.sqlite3"
    j = open_journal(path)
    j.begin_offline(kind="purchase", proc_code="000000", amount=5, currency="156", local_time=SALE.local_time,
                    entry_mode="051", masked_pan="476173******0119", psn="01", chip_code="Y1", message="",
                    seal=lambda tid: b"sealed card data")
    j.close()
    with pytest.raises(StoreError, match=r": 1 advice\(s\) still waiting for the host: deliver them first"):
        start_new(path, "TERM0001")


@pytest.mark.parametrize("count, recorded, above, new", [
    (2, (50, 7, 40), (50, 7, 40), (50, 8)),         # the file rolled back to an older copy: the identity is ahead
    (4, (1, 1, 1), (4, 1, 4), (4, 2)),              # the identity's marks lag the file (a power loss): the file wins
    (3, (1, 5, 1), (3, 5, 3), (3, 6)),              # each mark the higher of the two
    (1, (999_999, 999_999, 1), (999_999, 999_999, 1), (999_999, 1)),  # the batch after 999999 is 000001
])
def test_the_new_journal_starts_above_the_highest_mark_file_or_identity_recorded(tmp_path, count, recorded, above,
                                                                               new):
    path = tmp_path / "journal.sqlite3"
    sales(path, count)
    side = idf.path_beside(path)
    old = idf.read(side)
    idf.write(side, old.with_marks(idf.Marks(*recorded)), durable=False)
    ident, kept = start_new(path, "TERM0001")
    assert ident.previous == [{"creation_id": old.creation_id, "kept_as": _aside(kept, "journal.sqlite3").name,
                               "stan": above[0], "batch": above[1], "txn_id": above[2]}]
    assert (ident.stan, ident.batch, ident.txn_id) == (*new, 0)
    _continues(path, ident, *new)


def test_a_journal_lost_to_zero_bytes_continues_from_its_identity(tmp_path):
    path = tmp_path / "journal.sqlite3"
    sales(path, 5)
    old = idf.read(idf.path_beside(path))
    path.write_bytes(b"")
    ident, kept = start_new(path, "TERM0001")  # nothing can be read, so nothing is owed
    assert _aside(kept, "journal.sqlite3").stat().st_size == 0
    assert ident.previous == [{"creation_id": old.creation_id, "kept_as": _aside(kept, "journal.sqlite3").name,
                               "stan": 5, "batch": 1, "txn_id": 5}]
    _continues(path, ident, 5, 2)


def test_an_unreadable_file_is_kept_aside_and_the_identity_tells_the_marks(tmp_path):
    path = tmp_path / "journal.sqlite3"
    sales(path, 3)
    old = idf.read(idf.path_beside(path))
    path.write_bytes(b"not a journal at all " * 200)
    ident, kept = start_new(path, "TERM0001")
    assert _aside(kept, "journal.sqlite3").read_bytes() == b"not a journal at all " * 200
    assert ident.previous[-1]["creation_id"] == old.creation_id and (ident.stan, ident.batch) == (3, 2)
    _continues(path, ident, 3, 2)


def test_with_its_identity_damaged_the_old_creation_is_read_from_the_journal(tmp_path):
    path = tmp_path / "journal.sqlite3"
    sales(path, 2)
    side = idf.path_beside(path)
    cid = idf.read(side).creation_id
    side.write_bytes(b"{damaged")
    ident, kept = start_new(path, "TERM0001")
    assert _aside(kept, "journal.identity").read_bytes() == b"{damaged"
    assert ident.previous == [{"creation_id": cid, "kept_as": _aside(kept, "journal.sqlite3").name, "stan": 2,
                               "batch": 1, "txn_id": 2}]
    _continues(path, ident, 2, 2)


def test_a_data_dir_with_no_journal_gets_one_after_batch_1(tmp_path):
    path = tmp_path / "journal.sqlite3"
    ident, kept = start_new(path, "TERM0001")
    assert kept == []
    assert ident.previous == [{"creation_id": None, "kept_as": None, "stan": 0, "batch": 1, "txn_id": 0}]
    _continues(path, ident, 0, 2)


def test_the_new_identity_is_written_durably(tmp_path, monkeypatch):
    """The new identity must survive a power loss at once (a quiet point: identity.py): its file and its
    directory are fsynced. A power loss cannot be made here, so the fsyncs are counted (a spy over os.fsync)."""
    path = tmp_path / "journal.sqlite3"
    synced: list[str] = []
    real = os.fsync

    def spy(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real(fd)
    monkeypatch.setattr(idf.os, "fsync", spy)
    start_new(path, "TERM0001")
    assert synced == [str(tmp_path / "journal.identity.tmp"), str(tmp_path)]


def test_a_journal_from_before_identities_is_kept_aside_with_no_creation_to_name(tmp_path):
    """A file as posterm wrote it before schema versions and identities (tests/store/schema_v0.sql)."""
    path = tmp_path / "journal.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript((Path(__file__).parents[1] / "store" / "schema_v0.sql").read_text())
    conn.execute("INSERT INTO meta(key, value) VALUES('stan', '41')")
    conn.execute("INSERT INTO txn(kind, proc_code, amount, currency, stan, local_time, transmitted, entry_mode,"
                 " masked_pan, batch, state, created_at, updated_at) VALUES('purchase', '000000', 250, '156', 41,"
                 " '2026-11-25T10:00:00', '1125100000', '051', '476173******0119', 1, 'approved', 't0', 't0')")
    conn.commit()
    conn.close()
    ident, kept = start_new(path, "TERM0001")
    assert ident.previous == [{"creation_id": None, "kept_as": _aside(kept, "journal.sqlite3").name, "stan": 41,
                               "batch": 1, "txn_id": 1}]
    _continues(path, ident, 41, 2)
