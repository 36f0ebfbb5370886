"""Every query the terminal runs on the journal is answered through an index: no statement of a sale, a
reversal, the store-and-forward drain, status, txn show or settlement scans txn, txn_event or saf, so a journal
of a million rows costs what an empty one does (bench/bench_journal.py measures it)."""
from __future__ import annotations

import datetime as dt

import sqlite3

from terminal.store import SafOutcome, archive
from terminal.store.fallbacks import JournalFallbackStore
from terminal.store.search import TxnFilter

BIG_TABLES = ("txn", "txn_event", "saf", "chip_event")
# The plain listing reads the newest 50 by rowid, backwards: bounded whatever the size (no filter to index).
NEWEST_50 = ("SELECT * FROM txn ORDER BY id DESC LIMIT 50", "SELECT * FROM txn WHERE 1 ORDER BY id DESC LIMIT 50")


def test_no_query_scans_a_growing_table(journal, new_sale):
    seen: list[str] = []
    journal.db.connection().set_trace_callback(seen.append)
    row = journal.begin_txn(new_sale())
    journal.set_state(row.id, "approved", "approved by the host", response_code="00", rrn="000000000001")
    other = journal.begin_txn(new_sale())
    entry = journal.queue(other.id, "reversal", "68", "reversal_pending", "no response")
    journal.saf_pending_with_txn()
    journal.saf_record(done=SafOutcome(entry.id, other.id, "reversed", "acknowledged"))
    journal.next_tsc()
    batch = journal.current_batch()
    journal.batch_totals(batch)
    journal.batch_txns(batch)
    journal.saf_pending()
    journal.txns_in_state("needs_attention")
    journal.txns_in_state("sending")
    journal.key_alert()
    journal.txn(row.id)
    journal.events(row.id)
    journal.txns(50)  # the newest 50 by rowid: bounded, whatever the size
    journal.saf.undelivered()
    journal.saf.for_txn(other.id)
    for f in FILTERS:
        journal.find(f, 50)
    journal.batches.closed_at(batch)
    fallbacks = JournalFallbackStore(journal)
    fallbacks.state("card", dt.date(2026, 11, 25))
    sid, _ = journal.begin_settlement(batch, (0, 0), (1, 100))
    journal.end_settlement(sid, "closed", "00", "in balance")
    conn = journal.db.connection()
    conn.set_trace_callback(None)
    assert _scans(conn, seen) == []


DAY = dt.datetime(2026, 11, 25)
FILTERS = [TxnFilter(since=DAY, until=DAY + dt.timedelta(days=1)), TxnFilter(since=DAY), TxnFilter(until=DAY),
           TxnFilter(amount=1234, currency="156"), TxnFilter(last4="0119"), TxnFilter(states=("approved",)),
           TxnFilter(states=("approved", "reversed")), TxnFilter(batch=1),
           TxnFilter(since=DAY, until=DAY + dt.timedelta(days=1), amount=1234, currency="156", last4="0010"),
           TxnFilter(last4="0010", states=("approved",), batch=1)]


def test_finding_a_transaction_is_indexed_in_the_archive_too(journal, journal_path, new_sale):
    """txn list / txn find run the same filters on journal.archive.sqlite3: its tables carry the same indexes."""
    row = journal.begin_txn(new_sale())
    journal.set_state(row.id, "approved", "approved by the host", response_code="00", rrn="000000000001")
    batch = journal.current_batch()
    sid, _ = journal.begin_settlement(batch, *journal.batch_totals(batch))
    journal.end_settlement(sid, "closed", "00", "batch closed")
    journal.begin_txn(new_sale())
    assert journal.archive_settled(0, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)) == 1
    conn = sqlite3.connect(archive.path_of(journal_path))
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    from terminal.store import search
    for f in FILTERS:
        search.select(conn, f, 50)
    conn.set_trace_callback(None)
    assert len(seen) == len(FILTERS) and _scans(conn, seen) == []


def _scans(conn, seen: list[str]) -> list[str]:
    scans = []
    for sql in seen:
        head = sql.lstrip().split(None, 1)[0].upper()
        if head not in ("SELECT", "UPDATE", "DELETE", "INSERT") or sql in NEWEST_50:
            continue
        for step in conn.execute(f"EXPLAIN QUERY PLAN {sql}"):
            detail = step[3]
            if any(detail == f"SCAN {t}" or detail.startswith(f"SCAN {t} ") and "USING" not in detail
                   for t in BIG_TABLES):
                scans.append(f"{detail}: {sql}")
    return scans
