"""Deterministic simulation: thousands of seeded fault schedules through the real engine and journal.

Each schedule runs a few sales, refunds, chip offline approvals (advised later) and voids through SimLink (loss, resets, late and duplicated responses, bad MACs, refused
connects) with crashes at the engine's crash points; a crash abandons the engine mid-sale, exactly as a SIGKILL
between two journal commits would, and a new engine restarts from the journal file (running crash recovery).
Then the faults heal, the store-and-forward queue drains, and the books must agree (tests/fixtures/agreement.py).

A failing schedule prints its seed; replay it alone with POSTERM_SIM_SEED=<seed>.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import tempfile
from pathlib import Path


from terminal.config import Config
from terminal.store import Journal
from terminal.txn.clock import ManualClock
from terminal.txn.crashpoints import CrashPoints
from terminal.txn.engine import Engine
from terminal.txn.settle import settle
from terminal.txn.records import CardInput
from tests.fixtures.agreement import disagreements
from tests.txn.simnet import Faults, SimCrash, SimLink

SCHEDULES = int(os.environ.get("POSTERM_SIM_SCHEDULES", "2000"))
CARD = CardInput(entry_mode="901", masked_pan="476173******0119", track2="4761739001010119=31121010000000000")
CHIP = CardInput(entry_mode="051", masked_pan="476173******0010", pan="4761739001010010", expiry="3112", psn="01",
                 icc=bytes.fromhex("9F2608A1B2C3D4E5F607189F270140"))
TMP = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())


class SimClock(ManualClock):
    """Simulated time, starting now (SAF expiry compares it with the journal's wall-clock timestamps); every
    reading moves it on half a second, so backoff and deadlines see time pass without anyone sleeping."""

    def __init__(self) -> None:
        super().__init__(dt.datetime.now(dt.timezone.utc))

    def now(self):
        self.advance(0.5)
        return super().now()


def step(engine: Engine, op: str, rng: random.Random) -> None:
    """One thing the merchant does: an online sale or refund, a chip's offline approval (its advice then goes
    through store-and-forward), or the void of an approved sale of the open batch."""
    amount = rng.randint(1, 100_000)
    if op in ("sale", "refund"):
        engine.authorise("purchase" if op == "sale" else "refund", amount, CARD)
    elif op == "offline":
        engine.approve_offline("purchase", amount, CHIP, rng.choice(("Y1", "Y3")))
    else:
        approved = [t for t in engine.journal.txns(limit=1000) if t.kind == "purchase" and t.state == "approved"]
        if approved:
            orig = rng.choice(approved)
            engine.authorise("void", orig.amount, CardInput(orig.entry_mode, orig.masked_pan), original=orig)


def run_schedule(seed: int, workdir: Path) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    cfg = Config()
    link = SimLink(rng, Faults.random(rng), cfg.keys.mac_key)
    clock = SimClock()
    path = workdir / f"sim-{seed}.sqlite3"

    crashing = [True]

    def crash_hook(point: str) -> None:
        if crashing[0] and link._roll(link.faults.crash):
            link.log.append(f"CRASH at {point}")
            raise SimCrash(point)

    def new_engine() -> Engine:
        engine = Engine(cfg, Journal(path, utc=lambda: clock.now().utc), link, clock=clock,
                        crash=CrashPoints(crash_hook))
        engine.recover()   # the restart's explicit first step
        return engine

    try:
        engine = None
        for attempt in range(rng.randint(3, 10)):
            op = rng.choices(("sale", "refund", "offline", "void"), weights=(6, 1, 2, 1))[0]
            for _ in range(5):  # a crash during recovery's own SAF work restarts again
                try:
                    engine = engine or new_engine()
                    step(engine, op, rng)
                    break
                except SimCrash:
                    link.crash()
                    if engine:
                        engine.journal.close()
                    engine = None
        crashing[0] = False
        link.heal()
        if engine:
            engine.journal.close()
        engine = new_engine()  # the terminal restarts once more, on a healed network
        for _ in range(3):
            engine.drain_saf(force=True)
        problems = disagreements(engine.journal, link.logic.ledger, attention_is_a_problem=True)
        day = settle(engine)  # the day's totals must then balance with the host's, first time
        if day.outcome != "closed" or day.uploaded:
            problems.append(f"settlement {day.outcome} after uploading {day.uploaded}: {day.message}")
        engine.journal.close()
        return problems, link.log
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        path.with_suffix(".identity").unlink(missing_ok=True)
        path.with_suffix(".reserve").unlink(missing_ok=True)


def _seeds() -> list[int]:
    if "POSTERM_SIM_SEED" in os.environ:
        return [int(os.environ["POSTERM_SIM_SEED"])]
    return list(range(SCHEDULES))


def test_every_schedule_ends_in_agreement(tmp_path_factory):
    workdir = Path(tempfile.mkdtemp(dir=TMP, prefix="posterm-sim-"))
    failures = []
    for seed in _seeds():
        problems, log = run_schedule(seed, workdir)
        if problems:
            failures.append(f"seed {seed}: {problems}\n    events: {log}\n"
                            f"    replay: POSTERM_SIM_SEED={seed} python -m pytest tests/txn/test_simulation.py")
            if len(failures) >= 3:
                break
    os.rmdir(workdir)
    assert not failures, "\n".join(failures)


def test_schedules_really_inject_each_fault():
    """Guard against a simulation that silently stopped simulating: across the seeds, every kind of fault
    and crash happens, and both approvals and reversals occur."""
    workdir = Path(tempfile.mkdtemp(dir=TMP, prefix="posterm-sim-"))
    seen, voids_at_host = set(), 0
    for seed in range(200):
        _, log = run_schedule(seed, workdir)
        seen.update(e.split(" STAN")[0].split(" at ")[0] for e in log)
        voids_at_host += sum("0200" in e and "pc 020000 -> 00" in e for e in log)
    assert voids_at_host > 0
    os.rmdir(workdir)
    for kind in ("connect refused", "request lost", "reset before the host", "response lost", "response late",
                 "response duplicated", "reset after the host", "CRASH", "host got 0200", "host got 0400",
                 "host got 0401", "host got 0220", "host got 0221"):
        assert any(s.startswith(kind) for s in seen), kind
