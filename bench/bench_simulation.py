"""The deterministic simulation's cost (tests/sim, docs/simulation.md), beside its anchor measured in the same run:

- CPU per schedule (a drawn day of 2 to 7 steps under faults, its invariants after every step, the liveness
  phase and the settlement), beside one fault-free chip sale through the same Driver, journal file and
  simulated host (the unit a schedule is made of): the ratio says how many such sales a schedule costs;
- what that makes of the default run (10,000 schedules) and of the nightly run (1,000,000), on one core.
"""
from __future__ import annotations

import datetime as dt
import random
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from terminal.config import Config
from terminal.store import Journal
from terminal.txn.clock import ManualClock
from terminal.txn.loop import Driver
from tests.sim.devices import card_for
from tests.sim.host import SimHost
from tests.sim.network import NetFaults, SimNetwork
from tests.sim.runner import SCRATCH
from tests.sim.world import World

SEEDS = range(400, 600)


def one_sale_s(workdir: Path, n: int = 40) -> float:
    cfg, clock = Config(), ManualClock(dt.datetime(2026, 12, 1, 9, tzinfo=dt.timezone.utc))
    rng, fired = random.Random(1), Counter()
    host = SimHost(lambda: clock.now().utc)
    net = SimNetwork(rng, NetFaults(), host, clock, cfg.keys.mac_key, fired, [])
    driver = Driver(cfg, Journal(workdir / "anchor.sqlite3", utc=lambda: clock.now().utc), net, clock=clock)
    spent = []
    for _ in range(n):
        card, pinpad, _label = card_for(random.Random(3), "purchase", cfg, clock, fired)   # seed 3: a chip card
        started = time.process_time()
        driver.sale("purchase", 1234, card, pinpad=pinpad)
        spent.append(time.process_time() - started)
    driver.journal.close()
    spent.sort()
    return spent[len(spent) // 2]


def main() -> None:
    workdir = Path(tempfile.mkdtemp(dir=SCRATCH, prefix="posterm-bench-sim-"))
    try:
        sale = one_sale_s(workdir)
        started = time.process_time()
        for seed in SEEDS:
            World(seed, workdir).run()
        per_schedule = (time.process_time() - started) / len(SEEDS)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"simulation: {per_schedule * 1000:.1f} ms CPU per schedule ({len(SEEDS)} schedules), beside one "
          f"fault-free chip sale {sale * 1000:.2f} ms: {per_schedule / sale:.1f}x")
    print(f"  default run 10,000 schedules: {per_schedule * 10_000:.0f} s CPU; nightly 1,000,000: "
          f"{per_schedule * 1_000_000 / 3600:.1f} h CPU on one core")


if __name__ == "__main__":
    main()
