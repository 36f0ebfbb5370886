"""One schedule of the deterministic simulation: a terminal's day under drawn faults, then the faults heal.

The terminal is the production one: `Driver` (terminal/txn/loop.py) running `SaleCore` (terminal/txn/core.py)
over a real SQLite journal file, a simulated clock (ManualClock), network and host (network.py, host.py), reader
and keypad (devices.py). Only the seams the code offers are used: the Driver's link and clock, `CrashPoints`
passed to the Driver, and the journal's `commit_faults`.

A schedule: a few steps (a sale or refund with a chip, a tap or a swipe; a void; an idle gap with the
store-and-forward worker's drains; a settlement), each under the drawn faults; a crash anywhere (a crash point,
inside a commit, with or without a torn last write) or a journal error (the process exits on StoreError, as
`posterm run` does) restarts the terminal from its journal file, `recover()` first. The invariants
(invariants.py) are checked after every step. Then the liveness phase: faults heal, the worker drains as time
passes (backoff is waited out), and within LIVENESS_S of simulated time nothing may be left in doubt; the
settlement must then balance.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from terminal.config import Config
from terminal.store import Journal, StoreError
from terminal.store.states import TxnState as S
from terminal.txn.cards import KnownCard
from terminal.txn.clock import ManualClock
from terminal.txn.crashpoints import POINTS, CrashPoints
from terminal.txn.engine import Engine
from terminal.txn.loop import Driver
from terminal.txn.records import CardInput
from terminal.txn.settle import settle
from tests.sim.devices import card_for, operator_for
from tests.sim.host import SimHost
from tests.sim.invariants import Invariants, files_hold_card_data, saf_order_problem
from tests.sim.journal_faults import DiskFaults, JournalFaults, SimCrash, remove_journal, restore, torn_copy
from tests.sim.addresses import sim_acquirer
from tests.sim.network import NetFaults, SimNetwork

WORKER_INTERVAL_S = 5.0    # the store-and-forward worker's wake-up (terminal/txn/background.py)
LIVENESS_S = 3600.0        # after the faults heal, everything in doubt must end within this simulated time
MAX_RESTARTS = 8           # per step: a crash during recovery's own work restarts again


@dataclass
class Outcome:
    seed: int
    problems: list[str]
    log: list[str]
    fired: Counter = field(default_factory=Counter)


DriverFactory = Callable[..., Driver]


class World:
    def __init__(self, seed: int, workdir: Path, driver_class: DriverFactory = Driver) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        rng = self.rng
        self.fired: Counter = Counter()
        self.log: list[str] = []
        self.problems: list[str] = []
        self.driver_class = driver_class
        base = Config()
        # Some schedules age their queue out within the day, so expiry ('needs attention') is reached too.
        expiry_h = rng.choice((72.0, 72.0, 72.0, 0.25))
        self.cfg = replace(base, host=replace(base.host, timeout_s=5.0),
                           limits=replace(base.limits, floor_limit=rng.choice((0, 0, 5000))),   # offline approvals
                           saf=replace(base.saf, expiry_h=expiry_h, max_attempts=rng.choice((1000, 1000, 6))))
        self.clock = ManualClock(dt.datetime(2026, 12, 1, 9, 0, 0, tzinfo=dt.timezone.utc)
                                 + dt.timedelta(seconds=rng.randrange(86400)), utc_offset_h=8.0)
        self.host = SimHost(lambda: self.clock.now().utc, on_request=self._host_saw)
        faults = NetFaults.drawn(rng)
        # Half the schedules: two addresses and the store-and-forward window (addresses.py). Drawn from a Random
        # of their own, so the one-address schedules stay exactly what they were.
        links = random.Random(seed ^ 0x5AF3)
        if links.random() < 0.5:
            self.net = sim_acquirer(rng, links, faults, self.host, self.clock, self.cfg.keys.mac_key, self.fired,
                                    self.log, self.cfg.host.timeout_s)
            self.fired["two_addresses"] += 1
        else:                    # the other half: one address, one request at a time
            self.net = SimNetwork(rng, faults, self.host, self.clock, self.cfg.keys.mac_key, self.fired, self.log)
        self.disk = JournalFaults(rng, DiskFaults.drawn(rng), self.fired, self.log)
        self.crash_p = rng.choice((0.0, 0.0, rng.uniform(0.02, 0.2)))
        self.path = workdir / f"sim-{seed}" / "journal.sqlite3"
        self.invariants = Invariants()
        self.driver: Driver | None = None
        self.step_no = 0

    # ---- the terminal process ------------------------------------------------------------------------------
    def _crash_point(self, point: str) -> None:
        if self.crash_p and self.disk.armed and self.rng.random() < self.crash_p:
            raise SimCrash(point)

    def start(self) -> Driver:
        """The terminal starts: opens its journal file and recovers, as `posterm run` does."""
        journal = Journal(self.path, utc=lambda: self.clock.now().utc)
        journal.db.commit_faults = self.disk
        self.driver = self.driver_class(self.cfg, journal, self.net, clock=self.clock,
                                        crash=CrashPoints(self._crash_point))
        self.driver.recover()
        return self.driver

    def die(self, why: str, torn: bool = False) -> None:
        """The process is gone: nothing of it survives but its journal's files."""
        self.fired[f"restart_{why}"] += 1
        self.log.append(f"RESTART ({why})")
        self.net.crash()
        if self.driver is None:
            return
        image = torn_copy(self.path, self.rng) if torn else None
        self.driver.journal.db.close()   # not Journal.close(): a dead process reaches no quiet point
        if image is not None:
            restore(self.path, image)
        self.driver = None

    def running(self, action: Callable[[Driver], None]) -> None:
        """Run one step on a live terminal, restarting it after each crash; a crash at the same step again and
        again (bounded) leaves the step undone, as a merchant would give up."""
        for _ in range(MAX_RESTARTS):
            try:
                action(self.driver or self.start())
                return
            except SimCrash as crash:
                self.die(crash.point, crash.torn)
            except StoreError as e:
                self.log.append(f"journal error: {e}")
                self.die("journal_error_exit")

    # ---- steps ---------------------------------------------------------------------------------------------
    def run(self) -> Outcome:
        try:
            for _ in range(self.rng.randint(2, 7)):
                op = self.rng.choices(("sale", "refund", "void", "idle", "outage", "settle"),
                                      weights=(10, 2, 2, 2, 1, 1))[0]
                self.fired[f"step_{op}"] += 1
                self.running(getattr(self, f"_{op}"))
                self.check_step(op)
            self.liveness()
        finally:
            if self.driver is not None:
                self.driver.journal.close()
            remove_journal(self.path)
        return Outcome(self.seed, self.problems, self.log, self.fired)

    def _sale(self, d: Driver, kind: str = "purchase") -> None:
        amount = self.rng.randint(1, 20_000)
        card, pinpad, label = card_for(self.rng, kind, self.cfg, self.clock, self.fired)
        operator = operator_for(self.rng, self.cfg, self.clock, amount, self.fired)
        result = d.sale(kind, amount, card, operator=operator, pinpad=pinpad)
        self.fired[f"outcome_{result.outcome}"] += 1
        self.log.append(f"{kind} {amount} {label} -> {result.outcome}")

    def _refund(self, d: Driver) -> None:
        self._sale(d, "refund")

    def _void(self, d: Driver) -> None:
        approved = [t for t in d.journal.txns(limit=1000) if t.kind == "purchase" and t.state is S.APPROVED]
        if approved:
            orig = self.rng.choice(approved)
            result = d.sale("void", orig.amount, KnownCard(CardInput(orig.entry_mode, orig.masked_pan)),
                            original=orig)
            self.log.append(f"void of STAN {orig.stan} -> {result.outcome}")

    def _idle(self, d: Driver) -> None:
        """Nobody at the counter for a while: the worker wakes every few seconds and drains what is due."""
        gap = self.rng.choice((30.0, 300.0, 1200.0))
        self.worker(d, gap)

    def _outage(self, d: Driver) -> None:
        """The host is unreachable for a long while (every connect refused), then comes back: entries wait in
        backoff, and age past [saf] expiry_h where a schedule set it short."""
        self.net.down = True
        try:
            self.worker(d, self.rng.choice((600.0, 1800.0)))
        finally:
            self.net.down = False

    def _settle(self, d: Driver) -> None:
        day = settle(Engine.of(d))
        self.fired[f"settle_{day.outcome}"] += 1
        self.log.append(f"settle -> {day.outcome}")

    def worker(self, d: Driver, seconds: float) -> None:
        end = self.clock.monotonic() + seconds
        while self.clock.monotonic() < end:
            if not d.journal.saf_pending():   # nothing to deliver: the wake-ups in between do nothing
                self.clock.advance(end - self.clock.monotonic())
                return
            self.clock.advance(WORKER_INTERVAL_S)
            report = d.drain()
            if report.error == "waiting for backoff":
                self.fired["backoff_waited"] += 1

    # ---- invariants -----------------------------------------------------------------------------------------
    def _host_saw(self, message) -> None:
        problem = saf_order_problem(self.driver.journal if self.driver else None, message.mti)
        if problem:
            self.problems.append(f"step {self.step_no}: {problem}")

    def check_step(self, op: str) -> None:
        self.step_no += 1
        d = self.driver or self._start_unarmed()
        for p in self.invariants.check(d.journal, self.host):
            self.problems.append(f"after step {self.step_no} ({op}): {p}")

    def _start_unarmed(self) -> Driver:
        """A restart that nothing may interrupt (the simulation's own look at the journal)."""
        self.disk.armed = False
        try:
            return self.start()
        finally:
            self.disk.armed = True

    # ---- after the faults heal ------------------------------------------------------------------------------
    def liveness(self) -> None:
        self.net.heal()
        self.disk.armed = False
        self.crash_p = 0.0
        d = self.driver or self.start()
        started = self.clock.monotonic()
        while d.journal.saf_pending() and self.clock.monotonic() - started < LIVENESS_S:
            self.worker(d, WORKER_INTERVAL_S)
        self.fired["liveness_s"] += int(self.clock.monotonic() - started)
        left = d.journal.txns_in_state(S.SENDING, S.REVERSAL_PENDING, S.ADVICE_PENDING)
        for t in left:
            self.problems.append(f"liveness: txn {t.id} (STAN {t.stan}) still {t.state.value} "
                                 f"{LIVENESS_S:g} s after the faults healed")
        self.fired["needs_attention"] += len(d.journal.txns_in_state(S.NEEDS_ATTENTION))
        for p in self.invariants.check(d.journal, self.host):
            self.problems.append(f"after healing: {p}")
        self.settlement_balances(d)
        self.problems += files_hold_card_data(self.path, Path(str(self.path) + "-wal"))

    def settlement_balances(self, d: Driver) -> None:
        """The day must close with the host's totals, first time, unless something needs attention (then the
        acquirer's books and the terminal's may differ by exactly that, and the batch stays for a person)."""
        attention = d.journal.txns_in_state(S.NEEDS_ATTENTION)
        day = settle(Engine.of(d))
        self.fired[f"final_settle_{day.outcome}"] += 1
        if attention:
            return
        if day.outcome != "closed" or day.uploaded:
            self.problems.append(f"settlement {day.outcome} after uploading {day.uploaded}: {day.message}")
