"""Prints the simulation's totals at the end of a run that ran schedules (docs/simulation.md)."""
from __future__ import annotations

from tests.sim.runner import TIMING, TOTALS


def pytest_terminal_summary(terminalreporter):
    n = TIMING["schedules"]
    if not n:
        return
    w = terminalreporter
    w.section("deterministic simulation")
    seconds = TIMING["seconds"]
    w.write_line(f"{n} schedules in {seconds:.1f} s: {seconds / n * 1000:.1f} ms per schedule")
    groups = {"faults": [], "restarts": [], "other": []}
    for name, count in sorted(TOTALS.items()):
        group = "restarts" if name.startswith("restart_") else "other" if name.startswith(
            ("step_", "outcome_", "keys_", "settle_", "final_", "chip", "tap", "swipe", "liveness", "backoff",
             "needs_")) else "faults"
        groups[group].append(f"{name}={count}")
    for group, items in groups.items():
        w.write_line(f"{group}: {', '.join(items)}")
