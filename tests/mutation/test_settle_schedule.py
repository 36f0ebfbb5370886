"""The automatic settlement's schedule (auto_settle.py) decided step by step on Instants, and the running
terminal's end of day (end_of_day.py) against the simulation's host: what the READY screen says, what is printed,
what the log says, and when the next attempt comes."""
from __future__ import annotations

import datetime as dt
import logging
from contextlib import contextmanager

from terminal.keypad.screen import Screen
from terminal.txn.auto_settle import MAX_RETRY_S, AutoSettle, slot_of
from terminal.txn.clock import Instant
from terminal.txn.end_of_day import EndOfDay
from terminal.txn.engine import Engine
from tests.mutation.test_sale_records import swipe
from tests.mutation.test_settle_close import _fail_commits_from

AT = dt.time(23, 30)
SLOT = dt.datetime(2026, 11, 30, 23, 30)
READY = Screen("READY", "", "Key in the amount")


def at(local: dt.datetime, mono: float = 100.0) -> Instant:
    return Instant(mono, (local - dt.timedelta(hours=8)).replace(tzinfo=dt.timezone.utc), local)


def never_asked():
    raise AssertionError("the journal was asked although the slot was already decided")


def test_the_slot_is_the_latest_time_of_day_at_or_before_now():
    assert slot_of(SLOT, AT) == SLOT                                        # exactly at the time: today's
    assert slot_of(SLOT + dt.timedelta(seconds=1), AT) == SLOT
    assert slot_of(SLOT - dt.timedelta(seconds=1), AT) == SLOT - dt.timedelta(days=1)
    assert slot_of(dt.datetime(2026, 12, 1, 0, 5), AT) == SLOT              # after midnight: yesterday's


def test_from_config_reads_the_time_and_the_retry_and_starts_with_nothing_decided():
    assert AutoSettle.from_config("23:30", 45) == AutoSettle(AT, 45)
    s = AutoSettle.from_config("06:05", 45.0)
    assert (s.at, s.retry_s, s.done_slot, s.retry_at, s.failures, s.notice, s.hold_slot, s.last_message) == (
        dt.time(6, 5), 45.0, None, None, 0, None, None, "")


def test_due_when_the_open_batch_holds_a_transaction_from_before_the_slot():
    s = AutoSettle(AT, 60)
    asked = []
    assert s.due(at(SLOT), lambda: asked.append(1) or SLOT - dt.timedelta(minutes=1))
    assert asked == [1] and (s.done_slot, s.failures, s.notice) == (None, 0, None)


def test_a_batch_opened_at_the_slot_or_after_is_not_due_and_the_slot_counts_as_done():
    s = AutoSettle(AT, 60, failures=2, retry_at=50.0, notice="NOT SETTLED, retry 23:29:00")
    assert not s.due(at(SLOT), lambda: SLOT)                                 # the oldest row is of the slot itself
    assert (s.done_slot, s.retry_at, s.failures, s.notice) == (SLOT, None, 0, None)
    assert not s.due(at(SLOT + dt.timedelta(hours=1)), never_asked)          # decided: not asked again


def test_an_empty_batch_is_not_due_and_the_slot_counts_as_done():
    s = AutoSettle(AT, 60, failures=1, notice="x")
    assert not s.due(at(SLOT), lambda: None)
    assert (s.done_slot, s.retry_at, s.failures, s.notice) == (SLOT, None, 0, None)


def test_a_slot_held_for_out_of_balance_is_not_due_until_the_next_slot():
    s = AutoSettle(AT, 60, hold_slot=SLOT)
    old = lambda: SLOT - dt.timedelta(hours=5)   # noqa: E731
    assert not s.due(at(SLOT + dt.timedelta(hours=2)), never_asked)
    assert s.due(at(SLOT + dt.timedelta(days=1)), old)


def test_a_retry_is_waited_for_on_the_monotonic_clock_and_due_exactly_at_its_time():
    s = AutoSettle(AT, 60, retry_at=200.0)
    old = lambda: SLOT - dt.timedelta(hours=5)   # noqa: E731
    assert not s.due(at(SLOT, mono=199.9), never_asked)
    assert s.due(at(SLOT, mono=200.0), old)


def test_a_closed_settlement_marks_its_slot_done_and_clears_the_failures():
    s = AutoSettle(AT, 60, retry_at=300.0, failures=3, notice="NOT SETTLED, retry 23:34:00")
    s.record(at(SLOT + dt.timedelta(minutes=4)), "closed", "BATCH 000001 CLOSED")
    assert (s.done_slot, s.retry_at, s.failures, s.notice, s.hold_slot) == (SLOT, None, 0, None, None)
    assert not s.due(at(SLOT + dt.timedelta(minutes=5)), never_asked)


def test_out_of_balance_holds_the_slot_and_the_screen_says_call_the_acquirer():
    s = AutoSettle(AT, 60, retry_at=300.0, failures=1)
    s.record(at(SLOT + dt.timedelta(minutes=1)), "out_of_balance", "OUT OF BALANCE after batch upload")
    assert (s.hold_slot, s.retry_at, s.done_slot, s.failures) == (SLOT, None, None, 1)
    assert s.notice == "NOT SETTLED: out of balance, call the acquirer"


def test_failures_retry_after_retry_s_doubling_up_to_the_limit_and_the_screen_names_the_time():
    s = AutoSettle(AT, 60)
    waits, notices = [], []
    mono, local = 1000.0, SLOT
    for attempt in range(8):
        s.record(at(local, mono), "failed", f"NOT SETTLED: host answered 96; try again ({attempt})")
        waits.append(s.retry_at - mono)
        notices.append(s.notice)
        mono, local = s.retry_at, local + dt.timedelta(seconds=waits[-1])
    assert waits == [60, 120, 240, 480, 960, MAX_RETRY_S, MAX_RETRY_S, MAX_RETRY_S] and MAX_RETRY_S == 1800
    assert notices[:3] == ["NOT SETTLED, retry 23:31:00", "NOT SETTLED, retry 23:33:00",
                           "NOT SETTLED, retry 23:37:00"]
    assert s.failures == 8 and s.last_message == "NOT SETTLED: host answered 96; try again (7)"
    assert (s.done_slot, s.hold_slot) == (None, None)


# ---- the running terminal's end of day ---------------------------------------------------------------------
class Till:
    """What EndOfDay drives: the screens shown, the slips printed, whether the worker was paused meanwhile."""

    def __init__(self, terminal) -> None:
        self.terminal = terminal
        self.shown: list[Screen] = []
        self.slips: list[tuple] = []
        self.pausing: list[str] = []

    @contextmanager
    def paused(self):
        self.pausing.append("pause")
        try:
            yield
        finally:
            self.pausing.append("resume")

    def slip(self, result, local) -> None:
        self.slips.append((result.outcome, str(result.message), local))

    def end_of_day(self, auto_at: str) -> EndOfDay:
        return EndOfDay(AutoSettle.from_config(auto_at, 60), Engine.of(self.terminal.driver), paused=self.paused,
                        show=self.shown.append, show_slip=self.slip)


def test_end_of_day_settles_at_its_time_prints_the_slip_and_logs_it(terminal, caplog):
    terminal.driver.sale("purchase", 1000, swipe())      # 17:30 local (the fixture's clock)
    till = Till(terminal)
    eod = till.end_of_day("17:31")
    terminal.clock.advance(29)
    assert not eod.poll() and till.shown == [] and terminal.host.received[-1][0] == "0200"
    terminal.clock.advance(30)                           # 17:31:00
    with caplog.at_level(logging.INFO, logger="terminal.txn.end_of_day"):
        assert eod.poll()
    done = terminal.clock.now().local
    assert till.shown == [Screen("SETTLEMENT", "BATCH 000001", "sending to the host...")]
    assert till.slips == [("closed", "BATCH 000001 CLOSED", done)] and till.pausing == ["pause", "resume"]
    assert [r.getMessage() for r in caplog.records] == ["automatic settlement of batch 000001: BATCH 000001 CLOSED"]
    assert terminal.journal.current_batch() == 2 and eod.ready_screen(READY) is READY
    assert not terminal.net.connected                     # the link is closed after a settlement
    terminal.clock.advance(60)
    assert not eod.poll() and len(till.shown) == 1


def due_after_a_sale(terminal, answer_0500: str | None = None) -> tuple[Till, EndOfDay]:
    """A sale at 17:30 local (the fixture's clock), an end of day at 17:31, and the clock past 17:31."""
    terminal.driver.sale("purchase", 1000, swipe())
    if answer_0500 is not None:
        terminal.host.force["0500"] = answer_0500
    till = Till(terminal)
    eod = till.end_of_day("17:31")
    terminal.clock.advance(60)
    return till, eod


def test_end_of_day_after_a_refusal_prints_nothing_and_the_ready_screen_names_the_retry(terminal):
    till, eod = due_after_a_sale(terminal, "96")
    assert eod.poll()
    retry = terminal.clock.now().local + dt.timedelta(seconds=60)
    assert till.slips == [] and terminal.journal.current_batch() == 1
    assert eod.ready_screen(READY) == Screen("READY", f"NOT SETTLED, retry {retry:%H:%M:%S}", "Key in the amount")
    assert eod.schedule.last_message == "NOT SETTLED: host answered 96; try again"
    assert not eod.poll()                                 # waiting for the retry
    del terminal.host.force["0500"]
    terminal.clock.advance(60)
    assert eod.poll() and till.slips[0][:2] == ("closed", "BATCH 000001 CLOSED")


def test_end_of_day_out_of_balance_prints_the_slip_and_holds_until_the_next_day(terminal):
    till, eod = due_after_a_sale(terminal, "95")
    assert eod.poll()
    assert till.slips == [("out_of_balance", "OUT OF BALANCE after batch upload: call the acquirer",
                           terminal.clock.now().local)]
    assert eod.ready_screen(READY) == Screen("READY", "NOT SETTLED: out of balance, call the acquirer",
                                             "Key in the amount")
    terminal.clock.advance(3600)
    assert not eod.poll()


def test_end_of_day_when_the_journal_fails_logs_it_and_retries_like_a_refusal(terminal, caplog):
    till, eod = due_after_a_sale(terminal)
    faults = _fail_commits_from(terminal, "settle_before_write_ahead")
    with caplog.at_level(logging.WARNING, logger="terminal.txn.end_of_day"):
        assert eod.poll()
    faults.armed = False
    [record] = caplog.records
    assert record.getMessage().startswith("automatic settlement: journal ")
    assert record.getMessage().endswith("disk I/O error): nothing sent, the batch stays open")
    assert eod.schedule.last_message == record.getMessage().removeprefix("automatic settlement: ")
    assert eod.schedule.failures == 1 and till.slips == [] and till.pausing == ["pause", "resume"]
    retry = terminal.clock.now().local + dt.timedelta(seconds=60)
    assert eod.ready_screen(READY).value == f"NOT SETTLED, retry {retry:%H:%M:%S}"
    assert not terminal.net.connected
