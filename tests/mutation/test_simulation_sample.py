"""A slice of the deterministic simulation (tests/sim) among the mutation run's tests: every invariant of
docs/simulation.md over a few dozen schedules, in this process, so a mutant of the core that breaks the books,
the lifecycle or store-and-forward order under faults is killed here (the full 10,000 run in tests/sim)."""
from __future__ import annotations

from tests.sim.runner import report, run_seeds


def test_forty_schedules_keep_every_invariant():
    failed = run_seeds(range(20_000, 20_040), record=False)
    assert not failed, report(failed)
