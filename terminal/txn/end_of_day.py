"""The running terminal's end of day: between sales, when the schedule (auto_settle.py) says so, settle the batch
through the same settlement as `posterm settle` (settle.py), print its slip, and keep the READY screen telling
the operator while a failed settlement waits for its retry.

It runs only on the READY screen (never during amount entry or a sale), with the store-and-forward worker paused
so the 0500 and the worker's deliveries never interleave on the wire.
"""
from __future__ import annotations

import datetime as dt
import logging
from contextlib import AbstractContextManager
from typing import Callable

from terminal.i18n.text import _
from terminal.keypad.screen import Screen
from terminal.store import StoreError
from terminal.txn.auto_settle import AutoSettle
from terminal.txn.engine import Engine
from terminal.txn.settle import SettleResult, settle

log = logging.getLogger("terminal.txn.end_of_day")


class EndOfDay:
    def __init__(self, schedule: AutoSettle, engine: Engine, *, paused: Callable[[], AbstractContextManager],
                 show: Callable[[Screen], None], show_slip: Callable[[SettleResult, dt.datetime], None]) -> None:
        """`show_slip(result, local time)`: print the settlement slip (the receipt layer's, which the caller
        wires in: it sits above this one)."""
        self.schedule, self.engine = schedule, engine
        self.paused, self.show, self.show_slip = paused, show, show_slip

    def _oldest_open(self) -> dt.datetime | None:
        j = self.engine.journal
        return j.batches.oldest(j.current_batch())

    def ready_screen(self, screen: Screen) -> Screen:
        """The READY screen, with the settlement's notice on its value line while there is one."""
        notice = self.schedule.notice
        return screen if notice is None else Screen(screen.title, notice, screen.message)

    def poll(self) -> bool:
        """Settle if due (call on the READY screen only). True when a settlement was attempted."""
        now = self.engine.clock.now()
        if not self.schedule.due(now, self._oldest_open):
            return False
        batch = self.engine.journal.current_batch()
        self.show(Screen(_("SETTLEMENT"), _("BATCH {batch}").format(batch=f"{batch:06d}"),
                         _("sending to the host...")))
        try:
            with self.paused():
                result = settle(self.engine)
        except StoreError as e:  # the journal's own line; the schedule retries as for a refusal
            log.warning("automatic settlement: %s", e)
            self.schedule.record(self.engine.clock.now(), "failed", str(e))
            return True
        finally:
            self.engine.link.close()
        done = self.engine.clock.now()
        log.info("automatic settlement of batch %06d: %s", result.batch, result.message)
        self.schedule.record(done, result.outcome, result.message)
        if result.outcome in ("closed", "out_of_balance"):  # a retry's refusal is on the READY screen, not paper
            self.show_slip(result, done.local)
        return True
