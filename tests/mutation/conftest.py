"""A terminal wired to the simulation's fault-free network and host, in this process (mutmut sees it all)."""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass

import pytest

from terminal.config import Config
from terminal.store import Journal
from terminal.txn.clock import ManualClock
from terminal.txn.loop import Driver
from tests.sim.host import SimHost
from tests.sim.network import NetFaults, SimNetwork


@dataclass
class Terminal:
    driver: Driver
    host: SimHost
    net: SimNetwork
    clock: ManualClock

    @property
    def journal(self) -> Journal:
        return self.driver.journal


@pytest.fixture
def terminal(tmp_path) -> Terminal:
    cfg = Config()
    clock = ManualClock(dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc), utc_offset_h=8.0)
    host = SimHost(lambda: clock.now().utc)
    net = SimNetwork(random.Random(0), NetFaults(), host, clock, cfg.keys.mac_key, Counter(), [])
    journal = Journal(tmp_path / "journal.sqlite3", utc=lambda: clock.now().utc)
    yield Terminal(Driver(cfg, journal, net, clock=clock), host, net, clock)
    journal.close()
