"""The simulation must fail on a broken terminal: each break of tests/sim/breaks.py is caught within the
default run's schedules (the search stops at the first schedule that catches it)."""
from __future__ import annotations

import pytest

from tests.sim import breaks
from tests.sim.runner import run_seeds
from tests.sim.test_simulation import chunks


@pytest.mark.parametrize("broken, caught_by", [
    (breaks.DropsReversalAfterThirdAttempt, "is reversed at the terminal, host charged=True"),
    # the late approval lands on a reversal still pending, or (a backup address took the reversal) already done
    (breaks.LateApprovalOverridesReversal, "-> approved"),
])
def test_the_simulation_catches_a_broken_core(broken, caught_by):
    default_seeds = (seed for r in chunks() for seed in r)
    failed = run_seeds(default_seeds, broken, stop_at_first=True, record=False)
    assert failed, f"{broken.__name__}: no schedule of the default run caught it"
    assert any(caught_by in p for p in failed[0].problems), failed[0].problems
