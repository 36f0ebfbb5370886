"""Running schedules for the tests: a scratch directory in memory, the failing seeds' list, the session's totals.

A failing seed is printed with the one line that replays it, and appended to seeds.txt, which every run
replays first (commit it with the fix). The totals (schedules, time, and how often each fault kind and
restart point fired) are printed at the end of the pytest run by tests/sim/conftest.py.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

from tests.sim.world import DriverFactory, Outcome, World
from terminal.txn.loop import Driver

SEEDS_FILE = Path(__file__).with_name("seeds.txt")
SCRATCH = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
TOTALS: Counter = Counter()
TIMING = {"schedules": 0, "seconds": 0.0}


def replay_line(seed: int) -> str:
    return f"POSTERM_SIM_SEED={seed} .venv/bin/python -m pytest -q tests/sim/test_simulation.py -k invariants"


def known_seeds() -> list[int]:
    """Seeds that once failed (seeds.txt: one per line, '#' starts a comment)."""
    if not SEEDS_FILE.exists():
        return []
    seeds = []
    for line in SEEDS_FILE.read_text().splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            seeds.append(int(word))
    return seeds


def remember(seed: int, first_problem: str) -> None:
    if seed not in known_seeds():
        with SEEDS_FILE.open("a") as f:
            f.write(f"{seed}  # {first_problem[:100]}\n")


def run_seeds(seeds, driver_class: DriverFactory = Driver, *, stop_at_first: bool = False,
              record: bool = True) -> list[Outcome]:
    """The failing outcomes of these seeds. `record`: count them in the session's totals and add failing seeds
    to seeds.txt (not for the deliberately broken terminals)."""
    workdir = Path(tempfile.mkdtemp(dir=SCRATCH, prefix="posterm-sim-"))
    failed = []
    started = time.perf_counter()
    try:
        for seed in seeds:
            world = World(seed, workdir, driver_class)
            try:
                outcome = world.run()
            except Exception as e:   # the terminal raised where it must not: a failing schedule like any other
                where = traceback.extract_tb(e.__traceback__)[-1]
                outcome = Outcome(seed, [f"raised {type(e).__name__}: {e} (at {Path(where.filename).name}:"
                                         f"{where.lineno})"], world.log, world.fired)
            if record:
                TOTALS.update(outcome.fired)
                TIMING["schedules"] += 1
            if outcome.problems:
                failed.append(outcome)
                if record:
                    remember(seed, outcome.problems[0])
                if stop_at_first:
                    break
    finally:
        if record:
            TIMING["seconds"] += time.perf_counter() - started
        shutil.rmtree(workdir, ignore_errors=True)
    return failed


def report(failed: list[Outcome], limit: int = 3) -> str:
    lines = []
    for o in failed[:limit]:
        lines.append(f"seed {o.seed}: {o.problems[:4]}\n    events: {o.log[-40:]}\n    replay: {replay_line(o.seed)}")
    return "\n".join(lines)


def env_seed() -> int | None:
    value = os.environ.get("POSTERM_SIM_SEED")
    return int(value) if value else None
