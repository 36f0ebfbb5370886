"""Settlement at a set time of day, for the running terminal (`posterm run`, `[settlement] auto_at = "23:30"`).

A batch that is never closed is money that never reaches the merchant; an operator who forgets to settle is the
commonest reason. So the terminal settles by itself once a day at `auto_at`, the terminal's local wall time (its
one clock, clock.py: the same time fields 12/13 and the slip carry).

The schedule, as a payments engineer would want it:
- **Once per slot, for what is older than the slot.** A slot is one day's `auto_at`. It is due when the open
  batch holds a transaction from before it; that is read from the journal, so a restart at 23:31 after the 23:30
  close does not settle again (the open batch is the new one), a terminal that was off at 23:30 settles as soon
  as it runs again (the money is a day late already), and an empty batch is not sent at all.
- **Store-and-forward first.** Settlement itself delivers every pending reversal and advice before the 0500
  (settle.py); when one cannot be delivered the batch stays open, and that counts as a failure here.
- **A failure retries with backoff**: after `retry_s`, then twice as long each time, at most MAX_RETRY_S, until
  the batch closes. The READY screen says so meanwhile (`notice`). An out-of-balance answer after batch upload is
  not retried: it needs the acquirer, and the screen says that until the next slot.

`AutoSettle` decides (due, record, notice) and never does I/O: the caller runs the settlement, so tests drive
the schedule with a ManualClock.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from terminal.i18n.text import _
from terminal.txn.clock import Instant

MAX_RETRY_S = 1800.0


def slot_of(local: dt.datetime, at: dt.time) -> dt.datetime:
    """The latest slot (a day's `at`, local time) at or before `local`."""
    today = dt.datetime.combine(local.date(), at)
    return today if today <= local else today - dt.timedelta(days=1)


@dataclass
class AutoSettle:
    at: dt.time
    retry_s: float = 60.0
    done_slot: dt.datetime | None = None    # the last slot a closed settlement covered
    retry_at: float | None = None           # monotonic time of the next attempt after a failure
    failures: int = 0
    notice: str | None = None               # what the READY screen says meanwhile, or None
    hold_slot: dt.datetime | None = None    # an out-of-balance slot: not retried until the next slot
    last_message: str = ""                  # the last failed attempt's line, for the log

    @classmethod
    def from_config(cls, auto_at: str, retry_s: float) -> AutoSettle:
        """`auto_at`: HH:MM as the config checked it (config.py)."""
        return cls(dt.time.fromisoformat(auto_at), retry_s)

    def due(self, now: Instant, oldest_open: Callable[[], dt.datetime | None]) -> bool:
        """Time to settle: the current slot is not done, no retry is being waited for, and the open batch holds a
        transaction from before the slot (`oldest_open`: the local time of its oldest row, or None when it is
        empty; asked at most once per slot, and once per retry)."""
        slot = slot_of(now.local, self.at)
        if slot == self.done_slot or slot == self.hold_slot:
            return False
        if self.retry_at is not None and now.mono < self.retry_at:
            return False
        oldest = oldest_open()
        if oldest is None or oldest >= slot:
            self.done_slot, self.retry_at, self.failures, self.notice = slot, None, 0, None
            return False   # nothing of before the slot is open: it was settled, or there was nothing
        return True

    def record(self, now: Instant, outcome: str, message: str) -> None:
        """The attempt's outcome: closed, out_of_balance, or anything else (failed, not_sent, an error)."""
        slot = slot_of(now.local, self.at)
        if outcome == "closed":
            self.done_slot, self.retry_at, self.failures, self.notice = slot, None, 0, None
            return
        if outcome == "out_of_balance":
            self.hold_slot, self.retry_at = slot, None
            self.notice = _("NOT SETTLED: out of balance, call the acquirer")
            return
        wait = min(self.retry_s * 2 ** self.failures, MAX_RETRY_S)
        self.failures += 1
        self.retry_at = now.mono + wait
        retry = now.local + dt.timedelta(seconds=wait)
        self.notice = _("NOT SETTLED, retry {time}").format(time=f"{retry:%H:%M:%S}")
        self.last_message = message
