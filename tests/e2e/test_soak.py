"""Soak: a few hundred sales through fault-injecting proxies with random faults on real sockets, then the
terminal's journal and the acquirer's ledger must agree exactly: no approval the host does not have, no charge
the terminal does not know, no double charge. The terminal has two addresses ([host] addresses: two host
simulators of one acquirer, sharing one ledger, each behind its own proxy) and the store-and-forward window
on ([saf] window 8). The fault schedule is seeded; a failure prints the seed and the proxies' logs."""
from __future__ import annotations

import os
import random
from dataclasses import replace

from terminal.config import Config
from terminal.hostsim.faultproxy import Fault
from terminal.link.failover import FailoverLink
from terminal.store import Journal
from terminal.txn.acquirer import endpoints
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


def test_soak_through_random_faults(two_hosts, tmp_path):
    rng = random.Random(SEED)
    primary, backup = two_hosts.primary.proxy, two_hosts.backup.proxy
    for proxy in (primary, backup):
        for f in faults(rng):
            proxy.add(f)
    cfg = Config()
    cfg = replace(cfg, host=replace(cfg.host, address=two_hosts.addresses[0], addresses=two_hosts.addresses,
                                    timeout_s=0.25, connect_timeout_s=0.5))
    assert cfg.saf.window == 8
    engine = Engine(cfg, Journal(tmp_path / "j.sqlite3"), FailoverLink(endpoints(cfg.host)))
    outcomes: dict[str, int] = {}
    for i in range(SALES):
        if i == SALES // 4:
            primary.refuse()     # the primary goes down for a while: the backup carries the sales
        if i == SALES // 4 + 20:
            primary.reopen()
        if i == SALES // 3:
            primary.blackhole(0.6)
        if i == 2 * SALES // 3:
            primary.refuse()     # both down for five sales: they are not sent, nothing is lost
            backup.refuse()
        if i == 2 * SALES // 3 + 5:
            primary.reopen()
            backup.reopen()
        _, verdict = engine.authorise("purchase", rng.randint(1, 99_999), CARD)
        outcomes[verdict.state] = outcomes.get(verdict.state, 0) + 1
    for proxy in (primary, backup):
        proxy.clear_faults()
    for _ in range(5):
        if not engine.drain_saf(force=True).pending:
            break
    logs = f"{primary.format_log()[-2000:]}\n--- backup ---\n{backup.format_log()[-2000:]}"
    problems = disagreements(engine.journal, two_hosts.ledger, attention_is_a_problem=True)
    assert not problems, f"seed {SEED}: {problems}\noutcomes {outcomes}\n{logs}"
    # the soak must really have exercised the bad paths, or it proves nothing
    assert outcomes.get("approved", 0) > SALES // 2 and outcomes.get("reversal_pending", 0) >= 5, outcomes
    states = {t.state for t in engine.journal.txns(limit=10_000)}
    assert "reversed" in states and states <= {"approved", "reversed", "not_sent", "declined"}, states
    carriers = {m.address for t in engine.journal.txns(limit=10_000) for m in engine.journal.carried(t.id)}
    assert carriers == set(two_hosts.addresses), carriers   # both addresses carried messages
    for t in engine.journal.txns(limit=10_000):             # and never one 0200 on both
        assert len([m for m in engine.journal.carried(t.id) if m.mti == "0200"]) <= 1, t.id
