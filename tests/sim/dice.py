"""Drawing a schedule's faults and rolling them: one place for both kinds (network, journal)."""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import fields


def drawn(cls, rng: random.Random, low: float, high: float):
    """A fault table with each probability drawn: three kinds in four never fire, so most schedules have few."""
    return cls(*(rng.choice((0.0, 0.0, 0.0, rng.uniform(low, high))) for _ in fields(cls)))


class Dice:
    """Rolls the named faults of a table; what fires is counted (the run's summary) and logged (the replay)."""

    def __init__(self, rng: random.Random, faults, fired: Counter, log: list[str]) -> None:
        self.rng, self.faults, self.fired, self.log = rng, faults, fired, log

    def fires(self, name: str) -> bool:
        p = getattr(self.faults, name)
        if p > 0 and self.rng.random() < p:
            self.fired[name] += 1
            self.log.append(name)
            return True
        return False
