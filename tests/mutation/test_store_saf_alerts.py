"""Alerts (terminal/store/alerts.py) as an operator deals with them, in this process on a real SQLite file:
acknowledging one (`posterm alerts ack ID`), clearing the key alert (`posterm txn ack-alert`), what `posterm
alerts` lists, and a journal fault, which the alert log hears of at once and the alert table with the next
write that works."""
from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from terminal.store import Journal, StoreError
from terminal.store.alerts import AlertRow
from terminal.txn.alert_log import line
from tests.mutation.store_saf_books import SALE, T0, at, books, clock  # noqa: F401 (fixtures)
from tests.sim.journal_faults import DiskFaults, JournalFaults


def risk_alert(j: Journal, text: str, rule: str = "velocity", decision: str = "decline") -> int:
    with j.db.write() as conn:
        return j.alerts.add(conn, "risk", text, rule=rule, decision=decision)


def test_an_acknowledged_alert_says_when_and_by_whom_and_leaves_the_open_list(books, clock):
    a = risk_alert(books, "3 sales on one card within 10 minutes")
    b = risk_alert(books, "amount above the single-sale limit", rule="amount", decision="review")
    clock.advance(60)
    acked = books.alerts.acknowledge(a)
    assert acked == AlertRow(a, T0, "risk", "velocity", "decline", None, None,
                             "3 sales on one card within 10 minutes", at(60), "operator")
    assert books.alerts.get(a) == acked
    assert [x.id for x in books.alerts.open()] == [b]
    assert books.alerts.open_count() == 1
    assert [x.id for x in books.alerts.all()] == [b, a]      # newest first, the acknowledged one too
    clock.advance(60)
    assert books.alerts.acknowledge(a, by="supervisor") == acked   # the first acknowledgement is the record
    assert books.alerts.get(b).acked_at is None


def test_an_alert_that_is_not_in_the_journal_is_named(books):
    risk_alert(books, "3 sales on one card within 10 minutes")
    with pytest.raises(StoreError, match=r"^no alert 7 in the journal$"):
        books.alerts.acknowledge(7)
    with pytest.raises(StoreError, match=r"^no alert 8 in the journal$"):
        books.alerts.get(8)
    assert books.alerts.open_count() == 1


def test_the_key_alert_stays_until_its_last_key_alert_is_acknowledged(books, clock):
    books.raise_key_alert("host refused our MAC (63)")
    clock.advance(60)
    books.raise_key_alert("host refused our MAC again (63)")
    r = risk_alert(books, "3 sales on one card within 10 minutes")
    first, second = [a for a in reversed(books.alerts.open()) if a.kind == "key"]
    assert (first.text, second.text) == ("host refused our MAC (63)", "host refused our MAC again (63)")
    assert (first.rule, first.decision, first.txn_id, first.stan) == ("", "", None, None)
    later = f"{at(60)} host refused our MAC again (63)"   # a later refusal replaces the text
    assert books.key_alert() == later
    books.alerts.acknowledge(r)
    assert books.key_alert() == later                           # a risk alert is not the keys' business
    books.alerts.acknowledge(first.id)
    assert books.key_alert() == later                           # one key alert is still open
    books.alerts.acknowledge(second.id)
    assert books.key_alert() is None
    assert books.alerts.open_count() == 0


def test_clearing_the_key_alert_acknowledges_the_key_alerts_only_and_returns_its_text(books, clock):
    r = risk_alert(books, "3 sales on one card within 10 minutes")
    books.raise_key_alert("host refused our MAC (63)")
    clock.advance(30)
    assert books.clear_key_alert() == f"{T0} host refused our MAC (63)"
    assert books.key_alert() is None
    [key] = [a for a in books.alerts.all() if a.kind == "key"]
    assert (key.acked_at, key.acked_by) == (at(30), "txn ack-alert")
    assert [a.id for a in books.alerts.open()] == [r]
    assert books.clear_key_alert() is None                      # nothing left to clear


def test_the_lists_show_the_newest_hundred(books):
    with books.db.write() as conn:
        ids = [books.alerts.add(conn, "risk", f"rule fired ({n})", rule="velocity", decision="alert")
               for n in range(102)]
    books.alerts.acknowledge(ids[-1])
    assert books.alerts.open_count() == 101
    assert [a.id for a in books.alerts.open()] == ids[-2:-102:-1]        # 100 of the 101 open, newest first
    assert [a.id for a in books.alerts.all()] == ids[-1:-101:-1]         # 100 of all 102, newest first
    assert [a.id for a in books.alerts.open(limit=2)] == [ids[-2], ids[-3]]


def test_a_journal_fault_is_told_at_once_and_kept_with_the_next_write_that_works(books, clock):
    heard: list[str] = []
    books.alerts.sink = lambda row: heard.append(line(row, "T0000001"))
    faults = JournalFaults(random.Random(0), DiskFaults(io_error=1.0), Counter(), [])
    books.db.commit_faults = faults          # the simulation's seam: this commit fails as an I/O error does
    with pytest.raises(StoreError) as failed:
        books.begin_txn(SALE)
    faults.armed = False
    text = str(failed.value)
    assert "write failed (disk I/O error" in text
    assert [json.loads(h) for h in heard] == [{
        "terminal": "T0000001", "id": 0, "at": T0, "kind": "fault", "rule": "", "decision": "", "txn_id": None,
        "stan": None, "text": text, "acked_at": None, "acked_by": ""}]
    assert books.alerts.open() == []         # the write that failed was the journal's own
    clock.advance(5)
    books.begin_txn(SALE)
    [kept] = books.alerts.open()
    assert (kept.at, kept.kind, kept.rule, kept.decision, kept.text, kept.acked_at) == (T0, "fault", "", "", text,
                                                                                        None)
    assert len(heard) == 1                   # told once, when it happened


def test_the_alert_log_hears_of_a_needs_attention_entry_once_its_commit_is_on_disk(books, clock):
    heard: list[dict] = []
    books.alerts.sink = lambda row: heard.append(json.loads(line(row, "T0000001")))
    sale = books.begin_txn(SALE)
    entry = books.queue(sale.id, "reversal", "68", "reversal_pending", "no response: reversal queued")
    faults = JournalFaults(random.Random(0), DiskFaults(io_error=1.0), Counter(), [])
    books.db.commit_faults = faults
    clock.advance(90)
    with pytest.raises(StoreError):
        books.saf_done(entry, "needs_attention", "host refused the reversal (30)", state="needs_attention")
    faults.armed = False
    assert [h["kind"] for h in heard] == ["fault"]     # nothing of an alert whose commit failed
    books.saf_done(entry, "needs_attention", "host refused the reversal (30)", state="needs_attention")
    told = {"id": 2, "at": at(90), "kind": "needs_attention", "rule": "", "decision": "", "txn_id": sale.id,
            "stan": entry.stan, "text": "store-and-forward gave up: host refused the reversal (30)", "acked_at": None,
            "acked_by": ""}
    assert heard[1:] == [{"terminal": "T0000001", **told}]
    assert books.alerts.get(2).to_json() == told      # the log says what the journal keeps
    assert books.alerts.get(1).kind == "fault"         # the fault rode in first


def test_an_alert_log_that_cannot_be_written_never_fails_the_write(books):
    def full_disk(row):
        raise OSError(28, "No space left on device")
    books.alerts.sink = full_disk
    a = risk_alert(books, "3 sales on one card within 10 minutes")
    assert [x.id for x in books.alerts.open()] == [a]
