"""The journal of the store-saf tests: a real SQLite file whose clock moves only when told to, so every
timestamp a test reads back is exact; and a sale about to be sent."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from terminal.store import Journal, NewTxn
from terminal.txn.clock import ManualClock

T0 = "2026-12-01T09:30:00.000+00:00"   # the clock's start, as the journal writes it
SALE = NewTxn(kind="purchase", proc_code="000000", amount=100, currency="156",
              local_time=dt.datetime(2026, 12, 1, 17, 30), transmitted="1201093000", entry_mode="051",
              masked_pan="476173******0119")


def at(seconds: float) -> str:
    """The journal's timestamp `seconds` after T0."""
    return (dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=seconds)).isoformat(
        timespec="milliseconds")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc))


@pytest.fixture
def books(tmp_path, clock):
    j = Journal(tmp_path / "journal.sqlite3", utc=lambda: clock.now().utc)
    yield j
    j.close()


def approved(j: Journal, new: NewTxn = SALE, **changes):
    """A sale (or `new`, with `changes`) the host approved, as the journal now holds it."""
    row = j.begin_txn(dataclasses.replace(new, **changes))
    j.set_state(row.id, "approved", "approved by the host", response_code="00", rrn=f"{row.id:012d}")
    return j.txn(row.id)
