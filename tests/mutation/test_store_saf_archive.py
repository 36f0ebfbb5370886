"""What `posterm txn find` and `txn show` read from the archive (terminal/store/archive.py), in this process on
real SQLite files: archived sales are found beside the live ones, the archive sits beside the journal under its
own name, an older archive without chip records still answers, and an archive that cannot be read is named."""
from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import time

import pytest

from terminal.store import Journal, StoreError
from terminal.store import archive
from terminal.store.search import TxnFilter
from tests.mutation.store_saf_books import SALE, approved, books, clock  # noqa: F401 (fixtures)

LATER = dt.datetime(2027, 3, 15, tzinfo=dt.timezone.utc)   # 104 days after the clock's start


def settle(j) -> None:
    batch = j.current_batch()
    sid, _ = j.begin_settlement(batch, *j.batch_totals(batch))
    j.end_settlement(sid, "closed", "00", "batch closed")


def two_settled_and_one_open(j):
    """Two approved sales in a closed batch (they may move once old enough), one in the open batch (it stays)."""
    old = [approved(j, amount=100), approved(j, amount=200)]
    settle(j)
    return old, approved(j, amount=100)


def archived_two_of_three(j):
    old, live = two_settled_and_one_open(j)
    assert j.archive_settled(90, now=LATER) == 2
    return old, live


def test_the_archive_sits_beside_the_journal_under_its_own_name(books, tmp_path):
    archived_two_of_three(books)
    assert archive.path_of(books.path) == tmp_path / "journal.archive.sqlite3"
    assert sorted(p.name for p in tmp_path.glob("journal.archive*")) == ["journal.archive.sqlite3"]


def test_archived_sales_are_found_beside_the_live_ones_newest_first(books):
    (a, b), live = archived_two_of_three(books)
    assert [(row.id, row.amount, was) for row, was in books.find(TxnFilter(amount=100))] == [
        (live.id, 100, False), (a.id, 100, True)]
    assert [(row.id, was) for row, was in books.find(TxnFilter())] == [(live.id, False), (b.id, True), (a.id, True)]
    newest = archive.select(books.path, TxnFilter(), 1)
    assert [(r["id"], r["amount"], r["state"], r["rrn"]) for r in newest] == [(b.id, 200, "approved", b.rrn)]
    assert archive.select(books.path, TxnFilter(amount=300), 5) == []


def test_without_an_archive_nothing_is_archived(books):
    live = approved(books, amount=100)
    assert books.find(TxnFilter()) == [(live, False)]
    assert archive.select(books.path, TxnFilter(), 5) == []


def test_an_archive_that_cannot_be_read_is_named_wherever_it_is_read(books):
    """txn show, its history, a reprint's chip lines, txn find and journal export all read the archive: a damaged
    one is a named journal error there (exit code of a journal failure), never a crash."""
    live = approved(books, amount=100)
    path = archive.path_of(books.path)
    path.write_bytes(b"not an archive, " * 256)
    for read in (lambda: books.txn(99), lambda: books.events(99), lambda: books.chip(live.id),
                 lambda: books.find(TxnFilter()), lambda: list(archive.export(books.path))):
        with pytest.raises(StoreError, match=rf"^journal archive {re.escape(str(path))}: read failed: file is not a"
                                             " database$"):
            read()


def test_an_archive_from_before_chip_records_still_answers(books):
    """An archive written before txn_chip existed has no such table: a sale found there has no chip lines."""
    (a, _), live = archived_two_of_three(books)
    old = sqlite3.connect(archive.path_of(books.path))
    old.execute("DROP TABLE txn_chip")
    old.close()
    assert books.txn(a.id).amount == 100
    assert books.chip(a.id) is None


def test_an_archive_that_refuses_the_copy_midway_leaves_everything_in_the_journal(books):
    """The archive's write fails after the first table was copied (its trigger stands for a full disk there):
    that copy is rolled back, nothing leaves the journal, and the terminal goes on selling."""
    (a, b), live = two_settled_and_one_open(books)
    refusing = sqlite3.connect(archive.path_of(books.path))
    refusing.executescript("CREATE TABLE txn_event (id INTEGER PRIMARY KEY, txn_id, at, state, reason);"
                           "CREATE TRIGGER full BEFORE INSERT ON txn_event"
                           " BEGIN SELECT RAISE(ABORT, 'disk full'); END;")
    refusing.close()
    with pytest.raises(StoreError, match=rf"^journal {books.path}: archiving settled batches failed: disk full$"):
        archive.move_settled(books.db, 90, LATER)
    assert books.archive_settled(90, now=LATER) == 0                          # it never fails the settlement
    assert [r[0] for r in books.db.read("SELECT id FROM txn ORDER BY id")] == [a.id, b.id, live.id]
    copied = sqlite3.connect(archive.path_of(books.path))
    assert copied.execute("SELECT COUNT(*) FROM txn").fetchone() == (0,)     # the first table's copy rolled back
    copied.execute("DROP TRIGGER full")
    copied.commit()
    copied.close()
    after = approved(books, amount=400)                 # the journal writes on
    assert books.archive_settled(90, now=LATER) == 2
    assert [r[0] for r in books.db.read("SELECT id FROM txn ORDER BY id")] == [live.id, after.id]


def test_every_old_batch_moves_in_one_pass(books):
    first = approved(books, amount=100)
    settle(books)
    second = approved(books, amount=200)
    settle(books)
    third = approved(books, amount=300)       # the newest always stays
    assert (first.batch, second.batch, third.batch) == (1, 2, 3)
    assert books.archive_settled(90, now=LATER) == 2
    assert [r[0] for r in books.db.read("SELECT id FROM txn")] == [third.id]
    assert [(row.id, was) for row, was in books.find(TxnFilter())] == [(third.id, False), (second.id, True),
                                                                      (first.id, True)]


def test_a_batch_moves_only_once_it_closed_more_than_keep_days_ago(books):
    two_settled_and_one_open(books)                           # closed at the clock's 09:30 on 1 December
    closed = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)
    assert books.archive_settled(90, now=closed + dt.timedelta(minutes=1)) == 0    # just settled
    assert books.archive_settled(90, now=closed + dt.timedelta(days=90)) == 0      # exactly keep_days: not older
    assert books.db.read("SELECT COUNT(*) FROM txn")[0][0] == 3
    assert books.archive_settled(90, now=closed + dt.timedelta(days=90, seconds=1)) == 2


def test_a_delivered_reversal_lets_its_sale_move_and_a_pending_one_holds_it(books):
    reversed_, owed = (books.begin_txn(SALE) for _ in range(2))
    for row in (reversed_, owed):
        books.queue(row.id, "reversal", "68", "reversal_pending", "no response: reversal queued")
    books.saf_done(books.saf.for_txn(reversed_.id)[0], "reversed", "reversal acknowledged (00)")
    settle(books)
    live = approved(books, amount=300)
    assert books.archive_settled(90, now=LATER) == 1
    assert [r[0] for r in books.db.read("SELECT id FROM txn ORDER BY id")] == [owed.id, live.id]
    assert books.txn(reversed_.id).state == "reversed"        # found in the archive
    assert books.archive_settled(90, now=LATER) == 0           # the old batch still holds what is owed: it stays


@pytest.fixture
def in_shanghai():
    """The terminal's own time zone is UTC+8 (as a terminal in China runs): local time is not UTC."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ")
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_keep_days_count_in_utc_whatever_the_local_time_zone(tmp_path, in_shanghai):
    """Without `now`, the cutoff is today in UTC, as the journal's timestamps are: a batch closed 4 hours less
    than 90 days ago stays, though local time is 8 hours ahead."""
    closed = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=90) + dt.timedelta(hours=4)
    j = Journal(tmp_path / "journal.sqlite3", utc=lambda: closed)
    try:
        two_settled_and_one_open(j)
        assert j.archive_settled(90) == 0
        assert j.db.read("SELECT COUNT(*) FROM txn")[0][0] == 3
    finally:
        j.close()
