"""Every query the terminal runs on the journal is answered through an index: no statement of a sale, a
reversal, the store-and-forward drain, status, txn show or settlement scans txn, txn_event or saf, so a journal
of a million rows costs what an empty one does (bench/bench_journal.py measures it)."""
from __future__ import annotations

import datetime as dt

from terminal.store import SafOutcome
from terminal.store.fallbacks import JournalFallbackStore

BIG_TABLES = ("txn", "txn_event", "saf", "chip_event")


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
    fallbacks = JournalFallbackStore(journal)
    fallbacks.state("card", dt.date(2026, 11, 25))
    sid, _ = journal.begin_settlement(batch, (0, 0), (1, 100))
    journal.end_settlement(sid, "closed", "00", "in balance")
    conn = journal.db.connection()
    conn.set_trace_callback(None)
    scans = []
    for sql in seen:
        head = sql.lstrip().split(None, 1)[0].upper()
        if head not in ("SELECT", "UPDATE", "DELETE", "INSERT") or sql.endswith("ORDER BY id DESC LIMIT 50"):
            continue
        for step in conn.execute(f"EXPLAIN QUERY PLAN {sql}"):
            detail = step[3]
            if any(detail == f"SCAN {t}" or detail.startswith(f"SCAN {t} ") and "USING" not in detail
                   for t in BIG_TABLES):
                scans.append(f"{detail}: {sql}")
    assert scans == []
