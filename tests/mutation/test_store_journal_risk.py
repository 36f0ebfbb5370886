"""What the risk rules read from the journal (store/risk.py): a card's transactions by its keyed hash, with every
field the rules weigh, oldest first; the day's refunds across a settlement; and card hashes kept exactly as long
as the longest window (24 h unless the policy says otherwise), erased with the next sale or by the upkeep."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from terminal.store import Journal, NewTxn
from terminal.store.risk import CardTxn

CARD, OTHER = "a" * 64, "b" * 64
SALE = NewTxn(kind="purchase", proc_code="000000", amount=1234, currency="156",
              local_time=dt.datetime(2026, 12, 1, 17, 30), transmitted="1201093000", entry_mode="051",
              masked_pan="476173******0010")
REFUND = dataclasses.replace(SALE, kind="refund", proc_code="200000")


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now

    def iso(self) -> str:
        return self.now.isoformat(timespec="milliseconds")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def j(tmp_path: Path, clock: Clock):
    journal = Journal(tmp_path / "journal.sqlite3", utc=clock)
    yield journal
    journal.close()


def hashes(j: Journal) -> list[str]:
    return [r[0] for r in j.db.read("SELECT card_hash FROM risk_card ORDER BY txn_id")]


def test_a_cards_transactions_come_back_whole_and_oldest_first(j, clock):
    first = j.begin_txn(dataclasses.replace(SALE, card_hash=CARD))
    j.set_state(first.id, "approved", "approved by the host", response_code="00")
    first_at = clock.iso()
    clock.now += dt.timedelta(minutes=1)
    j.begin_txn(dataclasses.replace(SALE, card_hash=OTHER, amount=99))
    j.begin_txn(dataclasses.replace(SALE, amount=98))          # a swipe with no hash: nothing to keep
    clock.now += dt.timedelta(minutes=1)
    second = j.begin_txn(dataclasses.replace(REFUND, card_hash=CARD, amount=500,
                                             local_time=dt.datetime(2026, 12, 1, 17, 32)))
    assert j.risk.recent(CARD, first_at) == [
        CardTxn(first.id, first.stan, "purchase", 1234, "approved", first_at, "2026-12-01T17:30:00"),
        CardTxn(second.id, second.stan, "refund", 500, "sending", clock.iso(), "2026-12-01T17:32:00")]
    assert [t.txn_id for t in j.risk.recent(CARD, clock.iso())] == [second.id]    # since: inclusive
    assert j.risk.recent(CARD, (clock.now + dt.timedelta(milliseconds=1)).isoformat()) == []
    assert hashes(j) == [CARD, OTHER, CARD]


def test_a_hash_is_kept_exactly_the_longest_window_then_goes_with_the_next_sale(j, clock):
    j.begin_txn(dataclasses.replace(SALE, card_hash=CARD))
    clock.now += dt.timedelta(hours=24)
    j.begin_txn(dataclasses.replace(SALE, card_hash=OTHER))
    assert hashes(j) == [CARD, OTHER]                            # 24 h old: still inside the window
    clock.now += dt.timedelta(milliseconds=1)
    j.begin_txn(SALE)
    assert hashes(j) == [OTHER]                                  # past it: erased in that sale's commit
    j.risk.keep_s = 600                                          # a policy whose longest window is 10 min
    clock.now += dt.timedelta(seconds=600)
    j.begin_txn(dataclasses.replace(SALE, card_hash=CARD))
    assert hashes(j) == [CARD]


def test_the_upkeep_erases_what_is_past_every_window_and_commits_nothing_otherwise(j, clock):
    commits = []
    j.begin_txn(dataclasses.replace(SALE, card_hash=CARD))
    j.begin_txn(dataclasses.replace(SALE, card_hash=OTHER))
    j.db.on_commit = lambda: commits.append(1)
    clock.now += dt.timedelta(hours=24)
    assert j.risk.erase_old(clock.iso()) == 0 and commits == [] and hashes(j) == [CARD, OTHER]
    clock.now += dt.timedelta(milliseconds=1)
    assert j.risk.erase_old(clock.iso()) == 2 and commits == [1] and hashes(j) == []
    assert j.risk.erase_old(clock.iso()) == 0 and commits == [1]


def test_a_closing_settlement_erases_hashes_past_every_window(j, clock):
    j.begin_txn(dataclasses.replace(SALE, card_hash=CARD))
    clock.now += dt.timedelta(hours=25)
    batch = j.current_batch()
    sid, _ = j.begin_settlement(batch, *j.batch_totals(batch))
    assert hashes(j) == [CARD]
    j.end_settlement(sid, "closed", "00", "batch closed")
    assert hashes(j) == [] and j.current_batch() == batch + 1


def test_the_days_refunds_count_what_is_approved_or_in_flight_since_midnight(j):
    midnight = "2026-12-01T00:00:00"

    def refund(amount: int, state: str | None, hour: int) -> None:
        row = j.begin_txn(dataclasses.replace(REFUND, amount=amount, local_time=dt.datetime(2026, 12, 1, hour)
                                              if hour >= 0 else dt.datetime(2026, 11, 30, 23, 59)))
        if state:
            j.set_state(row.id, state, f"{state} by the host", response_code="00" if state == "approved" else "05")

    assert j.risk.refunds_since(midnight) == 0
    refund(100, "approved", 9)
    refund(20, None, 10)                     # sending: in flight, counted
    refund(4000, "declined", 11)             # declined: no money moved
    refund(300, "approved", -1)              # yesterday
    j.begin_txn(dataclasses.replace(SALE, amount=50000))   # a purchase is no refund
    assert j.risk.refunds_since(midnight) == 120
    batch = j.current_batch()
    sid, _ = j.begin_settlement(batch, *j.batch_totals(batch))
    j.end_settlement(sid, "closed", "00", "batch closed")
    refund(5, "approved", 12)
    assert j.risk.refunds_since(midnight) == 125           # across the settlement
    assert j.risk.refunds_since("2026-12-01T10:00:00") == 25
