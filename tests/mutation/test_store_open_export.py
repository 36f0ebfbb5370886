"""`posterm journal export` in process (terminal/store/upkeep.py export and export_rows) on a real journal and
its archive: one JSON line per transaction, archived ones first, each with its whole history and its
store-and-forward entries, PAN masked, no sealed card data, keys in a stable (sorted) order for the help desk's
diffs."""
from __future__ import annotations

import datetime as dt
import json

from terminal.store.upkeep import export
from tests.mutation.store_open_books import SALE, approved, open_journal

AT = "2026-12-01T09:30:00.000+00:00"
ROW = {"auth_code": None, "created_at": AT, "currency": "156", "entry_mode": "051", "kind": "purchase",
       "local_time": "2026-12-01T17:30:00", "masked_pan": "476173******0119", "message": "", "original_id": None,
       "proc_code": "000000", "psn": None, "transmitted": "1201093000", "tsc": None, "updated_at": AT}


def test_export_gives_each_transaction_its_history_and_queue_entries(tmp_path):
    path = tmp_path / "journal.sqlite3"
    j = open_journal(path)
    approved(j, 700)                                      # batch 1, settled, then archived
    sid, _ = j.begin_settlement(1, *j.batch_totals(1))    # STAN 2
    j.end_settlement(sid, "closed", "00", "batch closed")
    row = j.begin_txn(SALE)                               # STAN 3, batch 2: its reversal takes STAN 4
    entry = j.queue(row.id, "reversal", "68", "reversal_pending", "no response")
    j.saf_attempt(entry.id, 0.0)
    j.saf_note(entry.id, "no answer within 30 s")
    j.saf_done(j.saf_entry(entry.id), "reversed", "host acknowledged the reversal")
    assert j.archive_settled(90, now=dt.datetime(2027, 6, 1, tzinfo=dt.timezone.utc)) == 1
    j.close()
    lines = list(export(path))
    assert [json.loads(line) for line in lines] == [
        ROW | {"id": 1, "amount": 700, "stan": 1, "batch": 1, "state": "approved", "response_code": "00",
               "rrn": "000000000001", "archived": True, "saf": [],
               "history": [{"at": AT, "state": "sending", "reason": "request about to be sent"},
                           {"at": AT, "state": "approved", "reason": "approved by the host"}]},
        ROW | {"id": 2, "amount": 100, "stan": 3, "batch": 2, "state": "reversed", "response_code": None,
               "rrn": None, "archived": False,
               "saf": [{"kind": "reversal", "stan": 4, "reason_code": "68", "attempts": 1, "state": "delivered",
                        "last_error": "no answer within 30 s"}],
               "history": [{"at": AT, "state": "sending", "reason": "request about to be sent"},
                           {"at": AT, "state": "reversal_pending", "reason": "no response"},
                           {"at": AT, "state": "reversed", "reason": "host acknowledged the reversal"}]},
    ]
    for line in lines:  # the same transaction always exports as the same text
        assert line == json.dumps(json.loads(line), sort_keys=True)
