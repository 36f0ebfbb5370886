"""The journal's smaller promises, each read back from the real file: a fresh read-only look at a row (what a
failed commit left), a note in a row's history, which address carried each message, a store-and-forward
entry and its attempts, the message an offline approval keeps, the outcome reserve, the 9F41 counter."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from terminal.store import Journal, NewTxn, StoreError
from terminal.store.carriers import Carried
from terminal.store.reserve import SIZE, Reserve
from terminal.store.states import SafKind, SafState, TxnState

START = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)
SALE = NewTxn(kind="purchase", proc_code="000000", amount=1234, currency="156",
              local_time=dt.datetime(2026, 12, 1, 17, 30), transmitted="1201093000", entry_mode="051",
              masked_pan="476173******0010")


class Ticks:
    """The journal's clock: one second later at every reading, so each timestamp says which commit made it."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> dt.datetime:
        self.n += 1
        return START + dt.timedelta(seconds=self.n)

    def at(self, n: int) -> str:
        return (START + dt.timedelta(seconds=n)).isoformat(timespec="milliseconds")


@pytest.fixture
def clock() -> Ticks:
    return Ticks()


@pytest.fixture
def j(tmp_path: Path, clock: Ticks):
    journal = Journal(tmp_path / "journal.sqlite3", utc=clock)
    yield journal
    journal.close()


def test_peek_reads_the_row_asked_for_else_the_newest(j):
    first = j.begin_txn(SALE)
    j.set_state(first.id, "approved", "approved by the host", response_code="00", rrn="000000000001")
    second = j.begin_txn(dataclasses.replace(SALE, amount=500))
    assert j.peek_txns(first.id) == [j.txn(first.id)] and j.peek_txns(first.id)[0].state is TxnState.APPROVED
    assert j.peek_txns() == [j.txn(second.id)] and j.peek_txns()[0].amount == 500
    assert j.peek_txns(second.id + 1) == []


def test_a_note_joins_the_rows_history_in_its_current_state_and_moves_nothing(j, clock):
    row = j.begin_txn(SALE)
    j.set_state(row.id, "approved", "approved by the host", response_code="00")
    before = j.txn(row.id)
    j.note(row.id, "second tap: issuer script delivered to the card")
    noted_at = clock.at(clock.n)
    assert j.events(row.id)[-1] == (noted_at, TxnState.APPROVED, "second tap: issuer script delivered to the card")
    assert [s for _, s, _ in j.events(row.id)] == [TxnState.SENDING, TxnState.APPROVED, TxnState.APPROVED]
    assert j.txn(row.id) == before
    with pytest.raises(StoreError, match=rf"^no transaction {row.id + 1} in the journal$"):
        j.note(row.id + 1, "nothing to note on")
    assert len(j.events(row.id)) == 3


def test_each_message_is_said_to_have_gone_to_its_address_in_order(j, clock):
    sale = j.begin_txn(SALE)
    other = j.begin_txn(dataclasses.replace(SALE, amount=500))
    j.note_carried(sale.id, "0200", sale.stan, "10.0.0.1:7000")
    first_at = clock.at(clock.n)       # when the message left, not when its note was committed
    j.note_carried(other.id, "0200", other.stan, "10.0.0.1:7000")
    other_at = clock.at(clock.n)
    assert j.carried(sale.id) == []    # rides the next commit: nothing of its own
    entry = j.queue(sale.id, "reversal", "68", "reversal_pending", "no answer in 30 s")
    j.note_carried(sale.id, "0400", entry.stan, "10.0.0.2:7000")
    second_at = clock.at(clock.n)
    j.saf_attempt(entry.id, next_at=60.0)
    assert j.carried(sale.id) == [Carried(first_at, "0200", sale.stan, "10.0.0.1:7000"),
                                  Carried(second_at, "0400", entry.stan, "10.0.0.2:7000")]
    assert j.carried(other.id) == [Carried(other_at, "0200", other.stan, "10.0.0.1:7000")]
    assert all(isinstance(m.stan, int) for m in j.carried(sale.id))


def test_an_entry_is_read_by_its_id_and_an_attempt_is_counted_before_it_leaves(j):
    sale = j.begin_txn(SALE)
    other = j.begin_txn(dataclasses.replace(SALE, amount=500))
    first = j.queue(sale.id, "reversal", "68", "reversal_pending", "no response")
    second = j.queue(other.id, "reversal", "68", "reversal_pending", "no response")
    assert j.saf_entry(second.id) == second and j.saf_entry(first.id) == first
    assert (second.txn_id, second.kind, second.attempts, second.state) == (other.id, SafKind.REVERSAL, 0,
                                                                          SafState.PENDING)
    j.saf_attempt(second.id, next_at=1234.5)
    again = j.saf_entry(second.id)
    assert (again.attempts, again.next_at) == (1, 1234.5)
    assert j.saf_entry(first.id) == first            # the other entry is untouched
    with pytest.raises(StoreError, match=r"^no store-and-forward entry 99 in the journal$"):
        j.saf_entry(99)


def test_a_sale_turned_offline_keeps_the_message_the_operator_was_shown(j):
    row = j.begin_txn(dataclasses.replace(SALE, state=TxnState.NOT_SENT, reason="host unreachable",
                                          message="HOST UNREACHABLE"))
    after = j.to_offline(row.id, "Y3", lambda txn_id: b"sealed-%d" % txn_id, "APPROVED OFFLINE")
    assert (after.state, after.response_code, after.message) == (TxnState.ADVICE_PENDING, "Y3", "APPROVED OFFLINE")
    assert j.txn(row.id).message == "APPROVED OFFLINE"
    [entry] = j.saf_pending()
    assert (entry.kind, entry.stan, entry.sealed) == (SafKind.ADVICE, row.stan, b"sealed-%d" % row.id)


def test_the_reserve_is_given_back_once_and_says_whether_there_was_one(tmp_path):
    reserve = Reserve(tmp_path / "journal.sqlite3")
    assert reserve.path == tmp_path / "journal.reserve"
    assert reserve.release() is False           # nothing to give: the journal must not retry on it
    assert reserve.ensure() is True and reserve.path.stat().st_size == SIZE
    assert reserve.release() is True and not reserve.path.exists()
    assert reserve.release() is False


def test_the_last_9f41_counter_is_none_before_the_first(j):
    assert j.counters.last_tsc() is None
    assert j.next_tsc() == 1 and j.counters.last_tsc() == 1


def test_a_taps_slip_lines_are_kept_as_given_and_a_second_keep_replaces_them(j):
    from terminal.store.chip_record import ChipRecord
    tap = j.begin_txn(dataclasses.replace(SALE, entry_mode="071"))
    swipe = j.begin_txn(dataclasses.replace(SALE, entry_mode="901"))
    arqc = ChipRecord(True, "A0000000031010", "VISA CREDIT", "80", "0123456789ABCDEF", "0000008000", "E800",
                      "no_cvm", "1F0302")
    tc = dataclasses.replace(arqc, cid="40", cryptogram="FEDCBA9876543210")
    j.keep_chip(tap.id, arqc)
    assert j.chip(tap.id) == arqc and j.chip(tap.id).contactless is True
    j.keep_chip(tap.id, tc)                        # the card's last word wins: the reprint shows the TC
    assert j.chip(tap.id) == tc and j.chip(tap.id).cryptogram_type == "TC"
    assert j.chip(swipe.id) is None


def test_an_offline_approval_transmitted_nothing_and_its_advice_is_queued_in_the_same_commit(j):
    row = j.begin_offline(kind="purchase", proc_code="000000", amount=800, currency="156",
                          local_time=dt.datetime(2026, 12, 1, 17, 31), entry_mode="051",
                          masked_pan="476173******0010", psn="01", chip_code="Y1",
                          seal=lambda txn_id: b"sealed-%d" % txn_id, message="APPROVED OFFLINE", tsc=7)
    assert (row.state, row.transmitted, row.response_code, row.message, row.tsc, row.psn) == (
        TxnState.ADVICE_PENDING, "", "Y1", "APPROVED OFFLINE", 7, "01")
    [entry] = j.saf_pending()
    assert (entry.txn_id, entry.kind, entry.stan, entry.reason_code) == (row.id, SafKind.ADVICE, row.stan, "Y1")
