"""A transaction row as the journal writes it and moves it (store/transactions.py through the Journal facade):
every field the caller gave lands in its column, the journal adds STAN, batch and timestamps, the first event
says why; a state change keeps what it does not restate, an approved void removes its original, a move the
lifecycle forbids or a row that is not there is refused naming it."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from terminal.store import Journal, StoreError, TxnRow, TxnState
from terminal.store.lifecycle import LifecycleError

START = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)
LOCAL = dt.datetime(2026, 12, 1, 17, 30)


class Ticks:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> dt.datetime:
        self.n += 1
        return START + dt.timedelta(seconds=self.n)

    def last(self) -> str:
        return (START + dt.timedelta(seconds=self.n)).isoformat(timespec="milliseconds")


@pytest.fixture
def clock() -> Ticks:
    return Ticks()


@pytest.fixture
def j(tmp_path: Path, clock: Ticks):
    journal = Journal(tmp_path / "journal.sqlite3", utc=clock)
    yield journal
    journal.close()


def begin(j: Journal, **kw) -> TxnRow:
    args = dict(kind="purchase", proc_code="000000", amount=1234, currency="156", local_time=LOCAL,
                transmitted="1201093000", entry_mode="051", masked_pan="476173******0010")
    return j.begin(**(args | kw))


def test_every_field_given_lands_in_the_row_with_the_journals_own(j, clock):
    first = begin(j)
    at = clock.last()
    assert first == TxnRow(first.id, "purchase", "000000", 1234, "156", 1, LOCAL, "1201093000", "051",
                           "476173******0010", None, 1, TxnState.SENDING, None, None, None, "", None, at, at, None)
    assert j.events(first.id) == [(at, TxnState.SENDING, "request about to be sent")]
    refund = begin(j, kind="refund", proc_code="200000", amount=500, currency="840", psn="01",
                   original_id=first.id, state="not_sent", reason="host unreachable: not sent",
                   message="NOT SENT", tsc=42, card_hash="c" * 64,
                   risk=[("refund_cap", "confirmed by the operator", "refunds today 5.00 > 4.00")])
    at = clock.last()
    assert refund == TxnRow(refund.id, "refund", "200000", 500, "840", 2, LOCAL, "1201093000", "051",
                            "476173******0010", "01", 1, TxnState.NOT_SENT, None, None, None, "NOT SENT", first.id,
                            at, at, 42)
    assert j.events(refund.id) == [(at, TxnState.NOT_SENT, "host unreachable: not sent")]
    assert [(t.txn_id, t.amount) for t in j.risk.recent("c" * 64, at)] == [(refund.id, 500)]
    [alert] = j.alerts.open()
    assert (alert.kind, alert.rule, alert.decision, alert.txn_id, alert.stan, alert.text, alert.at) == (
        "risk", "refund_cap", "confirmed by the operator", refund.id, 2, "refunds today 5.00 > 4.00", at)


def test_an_outcome_keeps_what_it_does_not_restate(j, clock):
    row = begin(j, message="PLEASE WAIT")
    j.set_state(row.id, "approved", "approved by the host", response_code="00", auth_code="123456",
                rrn="000000000001", message="APPROVED")
    approved_at = clock.last()
    after = j.txn(row.id)
    assert (after.state, after.response_code, after.auth_code, after.rrn, after.message, after.updated_at) == (
        TxnState.APPROVED, "00", "123456", "000000000001", "APPROVED", approved_at)
    assert after.created_at == row.created_at != approved_at
    j.queue(row.id, "reversal", "68", "reversal_pending", "the operator cancelled after the approval")
    kept = j.txn(row.id)
    assert (kept.state, kept.response_code, kept.auth_code, kept.rrn, kept.message) == (
        TxnState.REVERSAL_PENDING, "00", "123456", "000000000001", "APPROVED")
    assert [e[1:] for e in j.events(row.id)] == [
        (TxnState.SENDING, "request about to be sent"), (TxnState.APPROVED, "approved by the host"),
        (TxnState.REVERSAL_PENDING, "the operator cancelled after the approval")]


def test_an_approved_void_removes_its_original_in_the_same_commit(j, clock):
    sale = begin(j)
    j.set_state(sale.id, "approved", "approved by the host", response_code="00", rrn="000000000001")
    void = begin(j, kind="void", proc_code="020000", original_id=sale.id)
    j.set_state(void.id, "approved", "void approved by the host", response_code="00", voids=sale.id)
    at = clock.last()
    assert (j.txn(void.id).state, j.txn(sale.id).state) == (TxnState.APPROVED, TxnState.VOIDED)
    assert j.events(sale.id)[-1] == (at, TxnState.VOIDED, f"voided by transaction {void.id}")
    assert j.txn(sale.id).updated_at == at


def test_a_move_the_lifecycle_forbids_is_refused_and_changes_nothing(j):
    row = begin(j)
    j.set_state(row.id, "declined", "declined by the host", response_code="51")
    with pytest.raises(LifecycleError):
        j.set_state(row.id, "approved", "approved after all", response_code="00")
    assert (j.txn(row.id).state, j.txn(row.id).response_code, len(j.events(row.id))) == (TxnState.DECLINED, "51", 2)
    with pytest.raises(StoreError, match=rf"^no transaction {row.id + 1} in the journal$"):
        j.set_state(row.id + 1, "approved", "approved by the host")
    with pytest.raises(StoreError, match=rf"^no transaction {row.id + 1} in the journal$"):
        j.txn(row.id + 1)


def test_the_newest_rows_come_first_and_in_doubt_rows_oldest_first(j):
    rows = [begin(j, amount=a) for a in (100, 200, 300)]
    j.set_state(rows[1].id, "approved", "approved by the host", response_code="00")
    assert [r.id for r in j.txns()] == [rows[2].id, rows[1].id, rows[0].id]
    assert [r.id for r in j.txns(2)] == [rows[2].id, rows[1].id]
    assert [r.id for r in j.txns_in_state(TxnState.SENDING)] == [rows[0].id, rows[2].id]
