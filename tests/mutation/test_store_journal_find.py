"""`posterm txn find` / `txn list` as the journal answers them (Journal.find over store/search.py): each filter
keeps exactly the rows it names, a time range or a card comes newest-local-time first, everything else newest
id first, and what moved to the archive is found too and said to be archived. A corrupt journal is a read
failure naming the journal, never a traceback."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from terminal.store import Journal, NewTxn, StoreError
from terminal.store.search import TxnFilter

UTC_NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)
SALE = NewTxn(kind="purchase", proc_code="000000", amount=1234, currency="156",
              local_time=dt.datetime(2026, 11, 25, 10, 0), transmitted="1125100000", entry_mode="051",
              masked_pan="476173******0010")


def day(d: int, h: int) -> dt.datetime:
    return dt.datetime(2026, 11, d, h, 0)


def settle(j: Journal) -> None:
    batch = j.current_batch()
    sid, _ = j.begin_settlement(batch, *j.batch_totals(batch))
    j.end_settlement(sid, "closed", "00", "batch closed")


def sale(j: Journal, state: str = "approved", **kw) -> int:
    row = j.begin_txn(dataclasses.replace(SALE, **kw))
    j.set_state(row.id, state, f"{state} by the host", response_code="00" if state == "approved" else "51")
    return row.id


@pytest.fixture
def shop(tmp_path: Path):
    """Six sales over three days, two cards, two currencies, two batches; the last one rung up after the
    clock was set back (its local time is older than the sale before it, its id newer)."""
    j = Journal(tmp_path / "journal.sqlite3", utc=lambda: UTC_NOW)
    ids = [sale(j, local_time=day(24, 10)),
           sale(j, "declined", local_time=day(25, 9), currency="840"),
           sale(j, local_time=day(25, 11), amount=500, masked_pan="476173******0119"),
           sale(j, local_time=day(26, 8), masked_pan="476173******0119")]
    settle(j)
    ids += [sale(j, local_time=day(26, 12)),
            sale(j, local_time=day(25, 10), amount=700, masked_pan="476173******0119")]
    yield j, ids
    j.close()


def found(j: Journal, f: TxnFilter, limit: int = 50) -> list[int]:
    return [row.id for row, _archived in j.find(f, limit)]


def test_no_filter_lists_every_row_newest_id_first_even_across_a_clock_change(shop):
    j, (r1, r2, r3, r4, r5, r6) = shop
    assert found(j, TxnFilter()) == [r6, r5, r4, r3, r2, r1]
    assert found(j, TxnFilter(), limit=1) == [r6]   # the newest row, not the latest wall time (r5)
    assert all(archived is False for _, archived in j.find(TxnFilter()))


def test_a_date_range_keeps_that_day_newest_local_time_first(shop):
    j, (r1, r2, r3, r4, r5, r6) = shop
    the_25th = TxnFilter(since=day(25, 0), until=day(26, 0))
    assert found(j, the_25th) == [r3, r6, r2]
    assert found(j, the_25th, limit=1) == [r3]
    assert found(j, TxnFilter(since=day(26, 8))) == [r5, r4]              # from: inclusive
    assert found(j, TxnFilter(until=day(25, 9))) == [r1]                  # to: exclusive


def test_an_amount_is_matched_in_any_currency_unless_one_is_named(shop):
    j, (r1, r2, r3, r4, r5, r6) = shop
    assert found(j, TxnFilter(amount=1234)) == [r5, r4, r2, r1]
    assert found(j, TxnFilter(amount=1234, currency="156")) == [r5, r4, r1]
    assert found(j, TxnFilter(amount=1234, currency="840")) == [r2]
    assert found(j, TxnFilter(amount=999)) == []


def test_a_card_is_found_by_its_last_four_newest_local_time_first(shop):
    j, (r1, r2, r3, r4, r5, r6) = shop
    assert found(j, TxnFilter(last4="0119")) == [r4, r3, r6]
    assert found(j, TxnFilter(last4="0119"), limit=2) == [r4, r3]
    assert found(j, TxnFilter(last4="0010")) == [r5, r2, r1]


def test_a_state_and_a_batch_keep_only_their_rows(shop):
    j, (r1, r2, r3, r4, r5, r6) = shop
    assert found(j, TxnFilter(states=("declined",))) == [r2]
    assert found(j, TxnFilter(states=("declined", "approved"), batch=1)) == [r4, r3, r2, r1]
    assert found(j, TxnFilter(batch=2)) == [r6, r5]
    assert found(j, TxnFilter(batch=2, last4="0010", amount=1234, currency="156", since=day(26, 0))) == [r5]


def test_without_a_limit_the_newest_fifty_come_back(tmp_path):
    j = Journal(tmp_path / "journal.sqlite3", utc=lambda: UTC_NOW)
    with j.db.write() as conn:   # 51 rows in one commit: the limit is what is tested, not the write path
        ids = [j.transactions.insert(conn, dataclasses.replace(SALE, amount=i + 1), j.db.now())[0]
               for i in range(51)]
    assert [row.id for row, _ in j.find(TxnFilter())] == ids[:0:-1]   # ids 51 down to 2
    assert [row.id for row in j.txns()] == [row.id for row in j.transactions.txns()] == ids[:0:-1]
    j.close()


def test_archived_sales_are_found_with_the_live_ones_and_said_to_be_archived(tmp_path):
    j = Journal(tmp_path / "journal.sqlite3", utc=lambda: UTC_NOW)
    old = [sale(j, local_time=day(20, 9)), sale(j, local_time=day(20, 10), amount=500)]
    settle(j)
    live = sale(j, local_time=day(25, 10))
    assert j.archive_settled(90, now=UTC_NOW + dt.timedelta(days=100)) == 2
    assert [(r.id, archived) for r, archived in j.find(TxnFilter())] == [(live, False), (old[1], True),
                                                                          (old[0], True)]
    assert [(r.id, archived) for r, archived in j.find(TxnFilter(amount=500))] == [(old[1], True)]
    assert [(r.id, r.amount, r.state, archived) for r, archived in j.find(TxnFilter(since=day(20, 10)))] == [
        (live, 1234, "approved", False), (old[1], 500, "approved", True)]
    assert [(r.id, archived) for r, archived in j.find(TxnFilter(), limit=2)] == [(live, False), (old[1], True)]
    j.close()


def test_a_corrupt_journal_is_a_read_failure_naming_the_journal(tmp_path):
    """The card index's page overwritten (a failing SD card): the question that reads it gets StoreError with
    the journal's path and SQLite's word, which the command line prints as its one-line error."""
    path = tmp_path / "journal.sqlite3"
    j = Journal(path, utc=lambda: UTC_NOW)
    sale(j)
    page = j.db.read("SELECT rootpage FROM sqlite_master WHERE name='txn_card'")[0][0]
    size = j.db.read("PRAGMA page_size")[0][0]
    j.close()
    with open(path, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(b"\xff" * size)
    j = Journal(path, utc=lambda: UTC_NOW)
    with pytest.raises(StoreError) as e:
        j.find(TxnFilter(last4="0010"))
    assert str(e.value).startswith(f"journal {path}: read failed: ") and "malformed" in str(e.value)
    j.close()


def test_a_corrupt_table_of_chip_lines_is_a_read_failure_naming_the_journal(tmp_path):
    """A reprint reads the chip's slip lines: their page overwritten, the reprint says which journal failed."""
    from terminal.store.chip_record import ChipRecord
    path = tmp_path / "journal.sqlite3"
    j = Journal(path, utc=lambda: UTC_NOW)
    j.keep_chip(sale(j), ChipRecord(False, "A0000000031010", "VISA CREDIT", "40", "0123456789ABCDEF",
                                    "0000008000", "E800", "offline_pin", "410302"))
    page = j.db.read("SELECT rootpage FROM sqlite_master WHERE name='txn_chip'")[0][0]
    size = j.db.read("PRAGMA page_size")[0][0]
    j.close()
    with open(path, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(b"\xff" * size)
    j = Journal(path, utc=lambda: UTC_NOW)
    with pytest.raises(StoreError) as e:
        j.chip(1)
    assert str(e.value).startswith(f"journal {path}: read failed: ") and "malformed" in str(e.value)
    j.close()
