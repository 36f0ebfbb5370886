"""One clock for the whole terminal: monotonic seconds for timeouts, and wall time for messages.

A sale reads the clock once per message and takes every time it needs from that one `Instant`: field 7 (UTC),
fields 12/13 and EMV 9A/9F21 (local time). Two reads would let a sale that straddles midnight, or a terminal
far from UTC, send a 9A that disagrees with field 13. Tests and the simulation inject `ManualClock`.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Instant:
    mono: float            # monotonic seconds: only for durations and deadlines
    utc: dt.datetime       # aware, UTC: field 7
    local: dt.datetime     # naive local wall time to the second: fields 12/13, 9A, 9F21, receipts

    @property
    def epoch(self) -> float:
        return self.utc.timestamp()


class Clock(Protocol):
    def monotonic(self) -> float: ...
    def now(self) -> Instant: ...


class SystemClock:
    """The machine's clocks. Local time follows TZ as the C library sees it."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> Instant:
        mono, epoch = time.monotonic(), time.time()
        utc = dt.datetime.fromtimestamp(epoch, dt.timezone.utc).replace(microsecond=0)
        local = dt.datetime.fromtimestamp(int(epoch)).replace(microsecond=0)
        return Instant(mono, utc, local)


class ManualClock:
    """A clock that moves only when told to: for tests and the deterministic simulation. `utc_offset_h` puts
    the terminal in a time zone of its own, so tests can be far from UTC without touching TZ."""

    def __init__(self, start: dt.datetime = dt.datetime(2026, 12, 1, 12, 0, 0, tzinfo=dt.timezone.utc),
                 utc_offset_h: float = 0.0) -> None:
        self._utc = start
        self._mono = 1000.0
        self._offset = dt.timedelta(hours=utc_offset_h)

    def advance(self, seconds: float) -> None:
        self._mono += seconds
        self._utc += dt.timedelta(seconds=seconds)

    def monotonic(self) -> float:
        return self._mono

    def now(self) -> Instant:
        utc = self._utc.replace(microsecond=0)
        return Instant(self._mono, utc, (utc + self._offset).replace(tzinfo=None))


SYSTEM = SystemClock()
