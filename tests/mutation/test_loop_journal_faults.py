"""What a failed journal write means for the customer's money, as the driver loop tells it (terminal/txn/loop.py:
after_failed_write, outcome_held, journal_failure_consequence). The faults go through the journal's one seam
(Database.commit_faults, as tests/sim/journal_faults.py uses it), armed at a named crash point so they meet
exactly the commit that follows: a full disk or a write error before COMMIT (nothing recorded), or an fsync
error after it (the commit is in the file, the disk did not confirm it: a fresh read tells)."""
from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from drivers.emulated.inprocess import InProcessChannel
from drivers.emulated.vcard import load_profile
from terminal.emv.pin import EmulatedPinPad, Format0TdesKey
from terminal.store import StoreError
from terminal.store.db import DiskFull
from terminal.store.states import TxnState
from terminal.txn.cards import ChipReader
from terminal.txn.crashpoints import CrashPoints
from terminal.txn.emv_params import emv_config
from terminal.txn.engine import Engine
from terminal.txn.records import CardInput
from tests.mutation.test_sale_records import swipe

SENT = ("the request was sent and its answer is not recorded: the sale will be reversed when the journal can be "
        "written again (posterm saf flush); do not treat it as paid")
NOT_SENT = "nothing sent, the customer is not charged"
EARLIER = "an earlier reversal could not be recorded: nothing sent for this sale, customer not charged"
OFFLINE = "the offline approval is not recorded, so the sale is not approved: nothing sent, customer not charged"
UNSURE = ("cannot tell whether the outcome is recorded: run posterm saf flush, then posterm txn show, before "
          "treating the sale as paid")


def held(state: str) -> str:
    return (f"the journal holds the outcome anyway ({state}): it stands, but the disk failed to confirm it; "
            "run posterm journal check and replace the storage")


def _error(text: str, code: int) -> sqlite3.OperationalError:
    e = sqlite3.OperationalError(text)
    e.sqlite_errorcode = code
    return e


class OneFault:
    """Fails the first commit after `point` is reached: 'full' (SQLITE_FULL: every commit from there on) or
    'io' (SQLITE_IOERR) before COMMIT, 'fsync' (SQLITE_IOERR_FSYNC) after it; 'unreadable' as 'fsync', with the file gone from its name
    too, so not even a fresh read can tell what it holds."""

    def __init__(self, terminal, how: str, point: str) -> None:
        self.journal, self.how, self.point, self.armed = terminal.journal, how, point, False
        self.hidden: Path | None = None
        terminal.journal.db.commit_faults = self
        terminal.driver.crash = CrashPoints(self.reached)

    def reached(self, point: str) -> None:
        if point == self.point:
            self.armed = True

    def before(self) -> None:
        if self.armed and self.how in ("full", "io"):
            self.armed = self.how == "full"   # a full disk stays full (the journal retries once on its reserve)
            raise (_error("database or disk is full", sqlite3.SQLITE_FULL) if self.how == "full"
                   else _error("disk I/O error", sqlite3.SQLITE_IOERR))

    def after(self) -> None:
        if self.armed and self.how in ("fsync", "unreadable"):
            self.armed = False
            if self.how == "unreadable":
                path = self.journal.db.path
                self.hidden = path.with_name("hidden.sqlite3")
                path.rename(self.hidden)
            raise _error("disk I/O error", sqlite3.SQLITE_IOERR_FSYNC)

    def heal(self) -> None:
        self.journal.db.commit_faults = None
        if self.hidden is not None:
            self.journal.db.close()
            self.hidden.rename(self.journal.db.path)


def failed(terminal, how: str, point: str, sell, consequence: str, cls=StoreError):
    """Run `sell()` with one fault at the commit after `point`; the error names the write and its consequence."""
    fault = OneFault(terminal, how, point)
    try:
        with pytest.raises(StoreError) as caught:
            sell()
    finally:
        fault.heal()
    why = {"full": "database or disk is full"}.get(how, "disk I/O error")
    assert str(caught.value) == f"journal {terminal.journal.db.path}: write failed ({why}): {consequence}"
    assert type(caught.value) is cls
    assert caught.value.maybe_written is (how != "full")
    return caught.value


def lost_answer(terminal):
    terminal.net.faults.response_lost = 1.0


# ---- the outcome of an online sale (Conclude) ------------------------------------------------------------------
def test_an_approval_the_disk_cannot_take_is_not_paid_and_is_reversed_at_restart(terminal):
    failed(terminal, "full", "after_response", lambda: terminal.driver.sale("purchase", 1234, swipe()), SENT, DiskFull)
    [row] = terminal.journal.peek_txns()
    assert row.state is TxnState.SENDING                    # as written ahead: the restart reverses it
    assert terminal.driver.recover() == [row.id]


def test_an_approval_whose_write_failed_before_commit_is_not_held(terminal):
    failed(terminal, "io", "after_response", lambda: terminal.driver.sale("purchase", 1234, swipe()), SENT)
    assert terminal.journal.peek_txns()[0].state is TxnState.SENDING


def test_an_approval_in_the_file_though_its_fsync_failed_stands(terminal):
    failed(terminal, "fsync", "after_response", lambda: terminal.driver.sale("purchase", 1234, swipe()),
           held("approved"))
    assert terminal.journal.peek_txns()[0].state is TxnState.APPROVED


def test_a_decline_in_the_file_though_its_fsync_failed_stands_as_declined(terminal):
    failed(terminal, "fsync", "after_response", lambda: terminal.driver.sale("purchase", 1300, swipe()),
           held("declined"))


def test_an_outcome_nobody_can_read_back_is_not_to_be_treated_as_paid(terminal):
    failed(terminal, "unreadable", "after_response", lambda: terminal.driver.sale("purchase", 1234, swipe()), UNSURE)
    assert terminal.journal.peek_txns()[0].state is TxnState.APPROVED   # it was there all along


# ---- the reversal of a sale whose answer was lost (Reverse) ----------------------------------------------------
def test_a_reversal_the_disk_cannot_take_says_the_sale_is_not_paid(terminal):
    lost_answer(terminal)
    failed(terminal, "full", "after_response", lambda: terminal.driver.sale("purchase", 1234, swipe()), SENT, DiskFull)
    assert terminal.journal.peek_txns()[0].state is TxnState.SENDING


def test_a_reversal_in_the_file_though_its_fsync_failed_stands(terminal):
    lost_answer(terminal)
    failed(terminal, "fsync", "after_response", lambda: terminal.driver.sale("purchase", 1234, swipe()),
           held("reversal_pending"))
    [entry] = terminal.journal.saf_pending()
    assert entry.kind == "reversal"


def test_a_reversal_whose_write_failed_before_commit_is_not_held(terminal):
    lost_answer(terminal)
    failed(terminal, "io", "after_response", lambda: terminal.driver.sale("purchase", 1234, swipe()), SENT)


# ---- clearing an earlier reversal before the sale (ClearReversals) ---------------------------------------------
def test_an_earlier_reversal_that_cannot_be_recorded_stops_the_sale_before_anything_is_sent(terminal):
    lost_answer(terminal)
    terminal.driver.sale("purchase", 100, swipe())          # its reversal's answer lost too: still pending
    terminal.net.faults.response_lost = 0.0
    sent = len(terminal.host.received)
    failed(terminal, "full", "saf_before_attempt", lambda: terminal.driver.sale("purchase", 200, swipe()), EARLIER,
           DiskFull)
    assert len(terminal.host.received) == sent              # neither the reversal nor the sale left
    assert [r.amount for r in terminal.journal.txns()] == [100]


# ---- an offline approval (RecordOfflineApproval, GoOffline) ----------------------------------------------------
def offline_terminal(terminal, floor_limit=5000):
    cfg = terminal.driver.cfg
    terminal.driver.cfg = dataclasses.replace(cfg, limits=dataclasses.replace(cfg.limits, floor_limit=floor_limit))


def tap(profile="qvsdc-offline"):
    virtual = load_profile(profile)
    return ChipReader(lambda: InProcessChannel(virtual, protocol="contactless"))


def earlier_offline_approval(terminal, amount=999):
    """Another offline approval just before: the newest row of the file, in a state a held approval would have."""
    Engine.of(terminal.driver).approve_offline(
        "purchase", amount, CardInput("051", "476173******0010", pan="4761739001010010", expiry="3112", psn="01",
                                      icc=bytes.fromhex("9F2608A1B2C3D4E5F607189F270140")), "Y1")


@pytest.mark.parametrize("how", ["full", "io"])
def test_an_offline_approval_the_disk_cannot_take_is_not_approved(terminal, how):
    offline_terminal(terminal)
    earlier_offline_approval(terminal)
    failed(terminal, how, "before_offline_record", lambda: terminal.driver.sale("purchase", 500, tap()), OFFLINE,
           DiskFull if how == "full" else StoreError)
    assert [r.amount for r in terminal.journal.txns()] == [999]


def test_an_offline_approval_in_the_file_though_its_fsync_failed_stands(terminal):
    offline_terminal(terminal)
    earlier_offline_approval(terminal)
    failed(terminal, "fsync", "before_offline_record", lambda: terminal.driver.sale("purchase", 500, tap()),
           held("advice_pending"))
    newest = terminal.journal.peek_txns()[0]
    assert (newest.amount, newest.state) == (500, TxnState.ADVICE_PENDING)


def test_an_offline_approval_that_is_not_the_newest_row_is_not_taken_for_it(terminal):
    offline_terminal(terminal)
    earlier_offline_approval(terminal, amount=500)          # same amount, no sequence counter: another sale
    failed(terminal, "io", "before_offline_record", lambda: terminal.driver.sale("purchase", 500, tap()), OFFLINE)


def unreachable_permissive(terminal):
    """Host down, TAC-Default all zero: the visa chip approves offline when it cannot go online (Y3, GoOffline)."""
    terminal.net.down = True
    base = emv_config(terminal.driver.cfg, contactless=False)
    terminal.driver.emv = dataclasses.replace(base, aids=tuple(dataclasses.replace(a, tac_default=bytes(5))
                                                              for a in base.aids))
    virtual = load_profile("visa")
    pinpad = EmulatedPinPad(virtual.image.pin, Format0TdesKey(terminal.driver.cfg.keys.pin_key)) \
        if virtual.image.pin else None
    return ChipReader(lambda: InProcessChannel(virtual)), pinpad


@pytest.mark.parametrize("how", ["full", "io"])
def test_an_unable_online_approval_the_disk_cannot_take_is_not_approved(terminal, how):
    card, pinpad = unreachable_permissive(terminal)
    failed(terminal, how, "before_offline_record", lambda: terminal.driver.sale("purchase", 1234, card, pinpad=pinpad),
           OFFLINE, DiskFull if how == "full" else StoreError)
    assert terminal.journal.peek_txns()[0].state is TxnState.NOT_SENT


def test_an_unable_online_approval_in_the_file_though_its_fsync_failed_stands(terminal):
    card, pinpad = unreachable_permissive(terminal)
    failed(terminal, "fsync", "before_offline_record",
           lambda: terminal.driver.sale("purchase", 1234, card, pinpad=pinpad), held("advice_pending"))


# ---- before anything left (WriteAhead) -------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["full", "fsync"])
def test_a_sale_whose_first_row_fails_has_sent_nothing(terminal, how):
    failed(terminal, how, "before_write_ahead", lambda: terminal.driver.sale("purchase", 1234, swipe()), NOT_SENT,
           DiskFull if how == "full" else StoreError)
    assert terminal.host.received == []
