"""Soak: a few hundred sales through the fault-injecting proxy with random faults on real sockets, then the
terminal's journal and the host simulator's ledger must agree exactly: no approval the host does not have, no
charge the terminal does not know, no double charge. The fault schedule is seeded; a failure prints the seed
and the proxy's log."""
from __future__ import annotations

import os
import random
from dataclasses import replace

from terminal.config import Config
from terminal.hostsim.faultproxy import Fault
from terminal.link.client import Endpoint, HostLink
from terminal.store import Journal
from terminal.txn.engine import Engine
from terminal.txn.records import CardInput
from tests.fixtures.agreement import disagreements

SALES = int(os.environ.get("POSTERM_SOAK_SALES", "250"))
SEED = int(os.environ.get("POSTERM_SOAK_SEED", "20261125"))
CARD = CardInput(entry_mode="901", masked_pan="476173******0119", track2="4761739001010119=31121010000000000")


def faults(rng: random.Random) -> list[Fault]:
    p = lambda: round(rng.uniform(0.01, 0.05), 3)  # noqa: E731
    return [
        Fault("drop", "request", probability=p(), times=None),
        Fault("drop", "response", probability=p(), times=None),
        Fault("reset", "request", probability=p(), times=None),
        Fault("reset", "response", probability=p(), times=None),
        Fault("cut", "response", probability=p(), times=None, nbytes=rng.randint(0, 30)),
        Fault("cut", "request", probability=p(), times=None, nbytes=rng.randint(0, 30)),
        Fault("late", "response", probability=p(), times=None, seconds=0.4),
        Fault("garbage", "response", probability=p(), times=None, nbytes=rng.randint(1, 40)),
        Fault("delay", "request", probability=p(), times=None, seconds=0.05),
    ]


def test_soak_through_random_faults(fault_proxy, tmp_path):
    rng = random.Random(SEED)
    proxy = fault_proxy.proxy
    for f in faults(rng):
        proxy.add(f)
    cfg = Config()
    cfg = replace(cfg, host=replace(cfg.host, address=fault_proxy.address, timeout_s=0.25, connect_timeout_s=0.5))
    port = int(fault_proxy.address.rsplit(":", 1)[1])
    engine = Engine(cfg, Journal(tmp_path / "j.sqlite3"),
                    HostLink(Endpoint("127.0.0.1", port, connect_timeout_s=0.5)))
    outcomes: dict[str, int] = {}
    for i in range(SALES):
        if i == SALES // 3:
            proxy.blackhole(0.6)
        if i == 2 * SALES // 3:
            proxy.refuse()   # the host is down for five sales: they are not sent, nothing is lost
        if i == 2 * SALES // 3 + 5:
            proxy.reopen()
        _, verdict = engine.authorise("purchase", rng.randint(1, 99_999), CARD)
        outcomes[verdict.state] = outcomes.get(verdict.state, 0) + 1
    proxy.clear_faults()
    for _ in range(5):
        if not engine.drain_saf(force=True).pending:
            break
    problems = disagreements(engine.journal, fault_proxy.host.ledger, attention_is_a_problem=True)
    assert not problems, f"seed {SEED}: {problems}\noutcomes {outcomes}\n{proxy.format_log()[-4000:]}"
    # the soak must really have exercised the bad paths, or it proves nothing
    assert outcomes.get("approved", 0) > SALES // 2 and outcomes.get("reversal_pending", 0) >= 5, outcomes
    states = {t.state for t in engine.journal.txns(limit=10_000)}
    assert "reversed" in states and states <= {"approved", "reversed", "not_sent", "declined"}, states
