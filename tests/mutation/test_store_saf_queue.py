"""The store-and-forward queue's records (terminal/store/saf.py), in this process on a real SQLite file: what a
reversal and an advice are queued with (STANs, reason codes, sealed card data, the transaction's move in the
same commit), an offline approval and its advice, each delivery record, and what `posterm saf`, the drain and
the READY screen's backlog read back."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from terminal.store import Journal, SafKind, SafOutcome, SafRow, SafState, StoreError, TxnState
from tests.mutation.store_saf_books import SALE, T0, at, books, clock  # noqa: F401 (fixtures)

NOT_SENT = dataclasses.replace(SALE, state=TxnState.NOT_SENT, reason="host unreachable: nothing sent",
                               message="HOST UNREACHABLE")


def sealed(txn_id: int) -> bytes:
    return f"card data sealed to {txn_id}".encode()


def test_a_reversal_takes_a_stan_of_its_own_and_an_advice_its_transactions(books, clock):
    sale = books.begin_txn(SALE)
    clock.advance(30)
    rev = books.queue(sale.id, "reversal", "68", "reversal_pending", "no response: reversal queued",
                      message="NO RESPONSE")
    assert rev == SafRow(1, sale.id, SafKind.REVERSAL, sale.stan + 1, "68", None, 0, 0.0, SafState.PENDING, "",
                         at(30))
    row = books.txn(sale.id)
    assert (row.state, row.message, row.updated_at) == (TxnState.REVERSAL_PENDING, "NO RESPONSE", at(30))
    assert books.events(sale.id)[-1] == (at(30), TxnState.REVERSAL_PENDING, "no response: reversal queued")
    chip = books.begin_txn(NOT_SENT)
    assert chip.stan == sale.stan + 2
    clock.advance(30)
    adv = books.queue(chip.id, SafKind.ADVICE, "Y3", "advice_pending", "approved offline; advice queued",
                      sealed=sealed(chip.id))
    assert adv == SafRow(2, chip.id, SafKind.ADVICE, chip.stan, "Y3", sealed(chip.id), 0, 0.0, SafState.PENDING,
                         "", at(60))
    assert books.txn(chip.id).message == "HOST UNREACHABLE"    # no new message: the row keeps its own
    assert books.next_stan() == chip.stan + 1                  # the advice took no STAN
    with pytest.raises(StoreError, match=r"^no transaction 99 in the journal$"):
        books.queue(99, "advice", "Y3", "advice_pending", "approved offline; advice queued")
    assert [e.id for e in books.saf_all()] == [1, 2]


def test_a_sale_that_never_left_turns_into_an_offline_approval_with_its_advice(books, clock):
    chip = books.begin_txn(NOT_SENT)
    clock.advance(2)
    row = books.to_offline(chip.id, "Y3", sealed, "APPROVED OFFLINE")
    assert (row.state, row.response_code, row.message, row.stan, row.updated_at) == (
        TxnState.ADVICE_PENDING, "Y3", "APPROVED OFFLINE", chip.stan, at(2))
    assert books.events(chip.id)[-1] == (
        at(2), TxnState.ADVICE_PENDING, "host unreachable, approved offline by the chip (Y3); advice queued")
    assert books.saf.for_txn(chip.id) == [
        SafRow(1, chip.id, SafKind.ADVICE, chip.stan, "Y3", sealed(chip.id), 0, 0.0, SafState.PENDING, "", at(2))]
    sent = books.begin_txn(SALE)
    for txn_id in (chip.id, sent.id, 99):      # already offline, on the wire, not in the journal
        with pytest.raises(StoreError, match=rf"^transaction {txn_id} was sent or is not in the journal: it cannot"
                                             " turn offline$"):
            books.to_offline(txn_id, "Y3", sealed, "APPROVED OFFLINE")
    assert len(books.saf_all()) == 1 and books.txn(sent.id).response_code is None


def test_an_offline_approval_is_one_row_and_its_advice_whatever_the_new_row_said(books, clock):
    clock.advance(5)
    row = books.saf.begin_offline(SALE, "Y1", sealed)    # SALE says sending, "request about to be sent"
    assert (row.state, row.response_code, row.created_at, row.amount) == (TxnState.ADVICE_PENDING, "Y1", at(5), 100)
    assert books.events(row.id) == [
        (at(5), TxnState.ADVICE_PENDING, "approved offline by the chip (Y1); advice queued")]
    assert books.saf_pending() == [
        SafRow(1, row.id, SafKind.ADVICE, row.stan, "Y1", sealed(row.id), 0, 0.0, SafState.PENDING, "", at(5))]


def test_each_delivery_record_lands_on_its_entry(books, clock):
    a = books.begin_txn(SALE)
    first = books.queue(a.id, "reversal", "68", "reversal_pending", "no response: reversal queued")
    b = books.to_offline(books.begin_txn(NOT_SENT).id, "Y3", sealed, "APPROVED OFFLINE")
    [advice] = books.saf.for_txn(b.id)
    books.saf_attempt(first.id, 1005.0)
    books.saf_attempt(first.id, 1015.0)
    books.saf_note(first.id, "host unreachable", 1030.0)
    books.saf_note(advice.id, "timeout")                   # no new time: the backoff stays as it was
    e = books.saf_entry(first.id)
    assert (e.attempts, e.next_at, e.last_error) == (2, 1030.0, "host unreachable")
    e = books.saf_entry(advice.id)
    assert (e.attempts, e.next_at, e.last_error, e.sealed) == (0, 0.0, "timeout", sealed(b.id))
    clock.advance(60)
    books.saf_record_many([SafOutcome(first.id, a.id, "reversed", "reversal acknowledged (00)"),
                           SafOutcome(advice.id, b.id, "offline_approved", "advice acknowledged (00)",
                                      rrn="000000000123")], [])
    e = books.saf_entry(advice.id)
    assert (e.state, e.sealed) == (SafState.DELIVERED, None)   # card data erased in the delivery's commit
    assert books.txn(b.id).rrn == "000000000123"
    assert books.events(a.id)[-1] == (at(60), TxnState.REVERSED, "reversal acknowledged (00)")
    assert books.saf.undelivered() == []
    assert books.alerts.open() == []                            # a delivery is nobody's alert


def test_an_entry_given_up_keeps_its_card_data_and_raises_an_alert(books, clock):
    chip = books.to_offline(books.begin_txn(NOT_SENT).id, "Y3", sealed, "APPROVED OFFLINE")
    [advice] = books.saf_pending()
    clock.advance(7)
    books.saf_done(advice, "needs_attention", "host refused the advice (30)", state="needs_attention")
    e = books.saf_entry(advice.id)
    assert (e.state, e.sealed) == (SafState.NEEDS_ATTENTION, sealed(chip.id))
    assert books.txn(chip.id).state is TxnState.NEEDS_ATTENTION
    [alert] = books.alerts.open()
    assert (alert.at, alert.kind, alert.txn_id, alert.stan, alert.text) == (
        at(7), "needs_attention", chip.id, chip.stan, "store-and-forward gave up: host refused the advice (30)")


def test_outcomes_and_attempts_of_a_window_go_in_one_commit(books, clock):
    rows = [books.begin_txn(SALE) for _ in range(3)]
    entries = [books.queue(r.id, "reversal", "68", "reversal_pending", "no response: reversal queued") for r in rows]
    clock.advance(3)
    books.saf_record_many([SafOutcome(entries[0].id, rows[0].id, "reversed", "reversal acknowledged (00)")],
                          [(entries[1].id, 1010.0), (entries[2].id, 1011.0)])
    assert [(e.id, e.state, e.attempts, e.next_at) for e in books.saf_all()] == [
        (entries[0].id, SafState.DELIVERED, 0, 0.0), (entries[1].id, SafState.PENDING, 1, 1010.0),
        (entries[2].id, SafState.PENDING, 1, 1011.0)]
    before = books.db.read("SELECT MAX(updated_at) FROM saf")[0][0]
    books.saf_record_many([], [])                              # nothing to record: nothing written
    assert books.db.read("SELECT MAX(updated_at) FROM saf")[0][0] == before == at(3)


def test_what_the_queue_reads_back(books):
    delivered, given_up, waiting, later = (books.begin_txn(SALE) for _ in range(4))
    for row in (delivered, given_up, waiting, later):
        books.queue(row.id, "reversal", "68", "reversal_pending", "no response: reversal queued")
    e = {row.id: books.saf.for_txn(row.id)[0] for row in (delivered, given_up, waiting, later)}
    books.saf_done(e[delivered.id], "reversed", "reversal acknowledged (00)")
    books.saf_done(e[given_up.id], "needs_attention", "host refused the reversal (30)", state="needs_attention")
    pending = [books.saf_entry(e[r.id].id) for r in (waiting, later)]
    assert books.saf_pending() == pending
    assert books.saf.count_pending() == 2
    assert books.saf_pending_with_txn() == [(pending[0], books.txn(waiting.id)), (pending[1], books.txn(later.id))]
    assert [x.id for x in books.saf.undelivered()] == [e[given_up.id].id, e[waiting.id].id, e[later.id].id]
    assert [x.id for x in books.saf_all()] == [e[r.id].id for r in (delivered, given_up, waiting, later)]
    assert [x.state for x in books.saf.for_txn(delivered.id)] == [SafState.DELIVERED]
    with pytest.raises(StoreError, match=r"^no store-and-forward entry 9 in the journal$"):
        books.saf_entry(9)


def test_an_entry_given_up_and_its_alert_carry_the_one_time_of_their_commit(tmp_path):
    """A clock that moves on at every reading, as a real one does: the alert says when the entry was given up,
    the very time its transaction's event and the entry's row say, not a later reading."""
    ticks = iter(range(10_000))
    start = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)
    j = Journal(tmp_path / "journal.sqlite3", utc=lambda: start + dt.timedelta(milliseconds=next(ticks)))
    try:
        sale = j.begin_txn(SALE)
        entry = j.queue(sale.id, "reversal", "68", "reversal_pending", "no response: reversal queued")
        j.saf_done(entry, "needs_attention", "host refused the reversal (30)", state="needs_attention")
        gave_up = j.events(sale.id)[-1][0]
        [alert] = j.alerts.open()
        assert alert.at == gave_up == j.db.read("SELECT updated_at FROM saf WHERE id=?", (entry.id,))[0][0]
    finally:
        j.close()
