"""Deterministic simulation: 10,000 seeded schedules of the whole terminal in every run (docs/simulation.md).

Each schedule is a terminal's day (tests/sim/world.py): sales and refunds with chip, tap and swipe cards, voids,
idle time and outages with the store-and-forward worker draining, settlements; under drawn faults of the
network and host, the journal's disk, the reader and the keypad; restarts at every crash point and inside
commits. The invariants are checked after every step, then a liveness phase after the faults heal.

POSTERM_SIM_SCHEDULES=1000000 is the nightly run; POSTERM_SIM_SEED=<seed> replays one schedule.
"""
from __future__ import annotations

import os
from dataclasses import fields

import pytest

from terminal.txn.crashpoints import POINTS
from tests.sim.journal_faults import DiskFaults
from tests.sim.network import NetFaults
from tests.sim.runner import env_seed, known_seeds, report, run_seeds

SCHEDULES = int(os.environ.get("POSTERM_SIM_SCHEDULES", "10000"))
PER_ITEM = 200                 # a few seconds per test item
COVERAGE_SEEDS = range(400)    # the coverage check's own schedules; the chunks start after them


def chunks() -> list[range]:
    seed = env_seed()
    if seed is not None:
        return [range(seed, seed + 1)]
    first = COVERAGE_SEEDS.stop
    return [range(s, min(s + PER_ITEM, first + SCHEDULES)) for s in range(first, first + SCHEDULES, PER_ITEM)]


def test_seeds_that_once_failed_replay_first():
    failed = run_seeds(known_seeds())
    assert not failed, report(failed)


@pytest.mark.parametrize("seeds", chunks(), ids=lambda r: f"seeds{r.start}-{r.stop - 1}")
def test_every_schedule_keeps_the_invariants(seeds):
    failed = run_seeds(seeds)
    assert not failed, report(failed)


def test_every_fault_kind_and_restart_point_fires():
    """Guard against a simulation that silently stopped simulating: across the coverage seeds, every kind of
    fault fires, every restart point is hit, backoff is waited out, entries age past their expiry, chips
    approve offline, and the keypad's every action is typed."""
    from tests.sim.runner import TOTALS
    before = TOTALS.copy()
    failed = run_seeds(COVERAGE_SEEDS)
    assert not failed, report(failed)
    fired = TOTALS - before
    wanted = ([f.name for f in fields(NetFaults)] + [f.name for f in fields(DiskFaults)]
              + [f"restart_{p}" for p in POINTS + ("in_commit", "in_commit_torn", "journal_error_exit")]
              + ["card_removed", "partial_swipe", "chip", "tap", "swipe", "backoff_waited", "needs_attention",
                 "outcome_offline_approved", "outcome_reversed", "outcome_cancelled", "outcome_not_sent",
                 "outcome_declined", "settle_closed", "settle_failed", "step_outage", "step_void"]
              + [f"keys_{a}" for a in ("mistaken_cancel", "confirmed_cancel", "withdrawn_cancel", "stray_clear",
                                      "stray_enter", "double_cancel", "double_enter")])
    assert [w for w in wanted if not fired[w]] == []
