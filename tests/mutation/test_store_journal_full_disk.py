"""A disk that fills between a request leaving and its answer (store/reserve.py): the outcome is still recorded,
from the reserve given back for it, and then nothing more is sent until there is room for a new reserve. On a
real 1 MiB tmpfs mounted for the test (CI runs as root), in this process so mutmut sees the journal's code."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from terminal.store import Journal, NewTxn, TxnState
from terminal.store.db import DiskFull
from terminal.store.reserve import SIZE
from tests.fixtures.disk import fill, small_tmpfs

SALE = NewTxn(kind="purchase", proc_code="000000", amount=1234, currency="156",
              local_time=dt.datetime(2026, 12, 1, 17, 30), transmitted="1201093000", entry_mode="051",
              masked_pan="476173******0010")


@pytest.fixture
def disk(tmp_path):
    with small_tmpfs(tmp_path / "small") as mnt:
        yield mnt


def test_the_outcome_of_a_sent_request_is_recorded_on_a_full_disk_and_nothing_more_is_sent(disk):
    j = Journal(disk / "journal.sqlite3")
    reserve = disk / "journal.reserve"
    assert reserve.stat().st_size == SIZE
    sale = j.begin_txn(SALE)                       # the request leaves with the reserve in place
    fill(disk)                                     # the disk fills while it is out
    j.set_state(sale.id, "approved", "approved by the host", response_code="00", rrn="000000000001")
    assert not reserve.exists()                    # the reserve paid for the outcome
    assert j.txn(sale.id).state is TxnState.APPROVED and j.txn(sale.id).rrn == "000000000001"
    with pytest.raises(DiskFull) as e:
        j.begin_txn(dataclasses.replace(SALE, amount=99))
    assert re.fullmatch(rf"journal {re.escape(str(j.path))}: no room for the journal\.reserve that keeps space to"
                        r" record the outcome, so nothing was sent \(the disk is full: \d+ KiB free\)", str(e.value))
    assert not reserve.exists()                    # a partial reserve is no reserve: nothing left half-taken
    assert [r.id for r in j.txns()] == [sale.id]   # nothing written for the refused sale
    with pytest.raises(DiskFull):
        j.begin_settlement(1, (0, 0), (1, 1234))   # no 0500 leaves either
    assert j.settlements() == []
    (disk / "filler").unlink()                     # room again: the reserve comes back with the next sale
    again = j.begin_txn(dataclasses.replace(SALE, amount=99))
    assert reserve.stat().st_size == SIZE and again.state is TxnState.SENDING
    j.close()


def test_with_no_reserve_left_a_full_disk_fails_the_outcome_loudly(disk):
    """The reserve already spent (released by hand here): nothing to give back, so the failure is not hidden."""
    j = Journal(disk / "journal.sqlite3")
    sale = j.begin_txn(SALE)
    assert j.reserve.release() is True
    fill(disk)
    with pytest.raises(DiskFull):
        for _ in range(200):                       # notes (no reserve of theirs) until the disk has no page left
            j.note(sale.id, "x" * 2000)
    with pytest.raises(DiskFull, match=r": write failed \(.*\(the disk is full: \d+ KiB free\)\)$"):
        j.set_state(sale.id, "approved", "approved by the host", response_code="00")
    assert j.peek_txns(sale.id)[0].state is TxnState.SENDING   # in doubt, as recovery will treat it
    j.close()
