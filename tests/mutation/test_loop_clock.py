"""The terminal's one clock (terminal/txn/clock.py): the machine's, read once into an Instant whose UTC and local
time are the same second (fields 7 and 12/13 never disagree), and the ManualClock tests and the simulation
drive."""
from __future__ import annotations

import datetime as dt
import time

from terminal.txn.clock import SYSTEM, ManualClock
from tests.mutation.test_loop_link_watch import shanghai  # noqa: F401  (fixture: TZ=Asia/Shanghai)

UTC = dt.timezone.utc


def test_the_system_clock_gives_one_second_in_utc_and_in_local_time(shanghai):  # noqa: F811
    mono_before, before = time.monotonic(), time.time()
    now = SYSTEM.now()
    mono_after, after = time.monotonic(), time.time()
    assert mono_before <= now.mono <= mono_after
    assert SYSTEM.monotonic() >= now.mono
    assert now.utc.tzinfo is UTC and now.utc.microsecond == 0
    assert now.local.tzinfo is None and now.local.microsecond == 0
    assert int(before) <= now.epoch <= after and now.epoch == int(now.epoch)
    assert now.local == (now.utc + dt.timedelta(hours=8)).replace(tzinfo=None)   # the same second, at UTC+8


def test_a_manual_clock_starts_at_noon_utc_on_1_december_2026_and_moves_only_when_told():
    clock = ManualClock()
    now = clock.now()
    assert (now.mono, now.utc, now.local) == (1000.0, dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
                                              dt.datetime(2026, 12, 1, 12, 0))
    assert clock.monotonic() == 1000.0 and clock.now() == now
    clock.advance(1.5)
    assert clock.monotonic() == 1001.5
    later = clock.now()
    assert (later.utc, later.local, later.epoch) == (dt.datetime(2026, 12, 1, 12, 0, 1, tzinfo=UTC),
                                                     dt.datetime(2026, 12, 1, 12, 0, 1), now.epoch + 1)
    clock.advance(0.5)
    assert clock.now().utc == dt.datetime(2026, 12, 1, 12, 0, 2, tzinfo=UTC)


def test_a_manual_clock_in_a_time_zone_of_its_own():
    clock = ManualClock(dt.datetime(2026, 12, 31, 23, 30, tzinfo=UTC), utc_offset_h=-10.0)
    assert clock.now().local == dt.datetime(2026, 12, 31, 13, 30)
    east = ManualClock(dt.datetime(2026, 12, 31, 23, 30, tzinfo=UTC), utc_offset_h=5.5)
    assert east.now().local == dt.datetime(2027, 1, 1, 5, 0)
