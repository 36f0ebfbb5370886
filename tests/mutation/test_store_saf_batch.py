"""The batch and its settlement (terminal/store/batch.py), in this process on a real SQLite file: the totals the
0500 carries, what the batch upload sends, what the settlement slip lists, the oldest sale the automatic
settlement looks at, and the settlement's write-ahead row and its outcome."""
from __future__ import annotations

import dataclasses
import datetime as dt

from terminal.store import TxnState
from tests.mutation.store_saf_books import SALE, approved, at, books, clock  # noqa: F401 (fixtures)

REFUND = dataclasses.replace(SALE, kind="refund", proc_code="200000")


def a_days_business(j):
    """Two purchases and a refund approved, an offline approval whose advice is still on its way, a decline, and a
    purchase voided: what each part of the batch counts differs."""
    p1 = approved(j, amount=1000, local_time=dt.datetime(2026, 12, 1, 9, 5))
    r = approved(j, REFUND, amount=300, local_time=dt.datetime(2026, 12, 1, 8, 55))   # the oldest
    offline = j.saf.begin_offline(dataclasses.replace(SALE, amount=70), "Y1", lambda txn_id: b"sealed")
    declined = j.begin_txn(dataclasses.replace(SALE, amount=5000))
    j.set_state(declined.id, "declined", "declined by the host (51)", response_code="51")
    gone = approved(j, amount=400)
    void = j.begin_txn(dataclasses.replace(SALE, kind="void", proc_code="020000", amount=400, original_id=gone.id))
    j.set_state(void.id, "approved", "void approved by the host", response_code="00", voids=gone.id)
    p2 = approved(j, amount=250)
    return p1, r, offline, gone, p2


def test_the_totals_are_what_the_host_counts(books):
    p1, r, offline, gone, p2 = a_days_business(books)
    batch = books.current_batch()
    assert books.batch_totals(batch) == ((1, 300), (3, 1000 + 70 + 250))   # (credits), (debits): advice counted
    assert books.batch_totals(batch + 1) == ((0, 0), (0, 0))


def test_the_upload_and_the_slip_list_their_rows_oldest_first(books):
    p1, r, offline, gone, p2 = a_days_business(books)
    batch = books.current_batch()
    assert [t.id for t in books.batch_txns(batch)] == [p1.id, r.id, p2.id]  # no RRN yet: the advice waits
    slip = books.batches.slip_rows(batch)
    assert [(t.id, t.state) for t in slip] == [(p1.id, TxnState.APPROVED), (r.id, TxnState.APPROVED),
                                               (offline.id, TxnState.ADVICE_PENDING), (gone.id, TxnState.VOIDED),
                                               (p2.id, TxnState.APPROVED)]


def test_the_oldest_sale_of_a_batch_by_its_local_time(books):
    assert books.batches.oldest(books.current_batch()) is None            # nothing in it yet
    a_days_business(books)
    assert books.batches.oldest(books.current_batch()) == dt.datetime(2026, 12, 1, 8, 55)


def test_a_settlement_is_written_ahead_then_closed_and_the_next_batch_opens(books, clock):
    approved(books, amount=1000)
    batch = books.current_batch()
    clock.advance(10)
    sid, stan = books.begin_settlement(batch, (1, 300), (2, 1250))
    assert books.next_stan() == stan + 1
    clock.advance(5)
    books.end_settlement(sid, "out_of_balance", "95", "host totals differ: batch upload follows")
    assert books.current_batch() == batch                      # not closed: sales still land in it
    assert books.batches.closed_at(batch) is None
    clock.advance(5)
    books.end_settlement(sid, "closed", "00", "batch closed after upload")
    assert books.settlements() == [{
        "id": sid, "batch": batch, "stan": stan, "credits_count": 1, "credits_amount": 300, "debits_count": 2,
        "debits_amount": 1250, "state": "closed", "response_code": "00", "reason": "batch closed after upload",
        "created_at": at(10), "updated_at": at(20)}]
    assert books.current_batch() == batch + 1
    assert books.batches.closed_at(batch) == at(20)
