"""Backup hosts: two host simulators of one acquirer (one ledger), each behind its own fault proxy, real sockets.

Dead primary (refused, or swallowing connects), a primary that accepts and never answers, both down, and a
flapping primary. The rule under test above all: a 0200 that left and got no answer is never sent to another
address; it is reversed, and the reversal may go to any address.
"""
from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from terminal.config import Config
from terminal.hostsim.faultproxy import Fault
from terminal.iso8583 import decode
from terminal.link.errors import ConnectError
from terminal.link.failover import FailoverLink
from terminal.store import Journal
from terminal.txn.acquirer import endpoints
from terminal.txn.engine import Engine
from terminal.txn.records import CardInput
from tests.fixtures.agreement import disagreements
from tests.fixtures.faultproxy import TEST_MAC_KEY

CARD = CardInput(entry_mode="901", masked_pan="476173******0119", track2="4761739001010119=31121010000000000")


class Ticks:
    """The health clock, moved by hand: backoff runs out when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def engine(tmp_path, addresses, *, timeout_s=0.5, connect_timeout_s=1.0, clock=None) -> Engine:
    cfg = Config()
    cfg = replace(cfg, host=replace(cfg.host, address=addresses[0], addresses=tuple(addresses), timeout_s=timeout_s,
                                    connect_timeout_s=connect_timeout_s))
    link = FailoverLink(endpoints(cfg.host), **({"clock": clock} if clock else {}))
    return Engine(cfg, Journal(tmp_path / "j.sqlite3"), link)


def mtis(host) -> list[tuple[str, str]]:
    return [(m.mti, str(m.fields[11])) for m in (decode(raw, TEST_MAC_KEY) for raw in host.received)]


@pytest.fixture
def syn_sink():
    """An address whose connects time out (a listener with a full backlog: SYNs are dropped), like a host
    behind a dead router."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    filler = socket.create_connection(srv.getsockname())
    try:
        yield f"127.0.0.1:{srv.getsockname()[1]}"
    finally:
        filler.close()
        srv.close()


def test_a_refused_primary_fails_over_and_the_journal_names_the_backup(two_hosts, tmp_path):
    two_hosts.primary.proxy.refuse()
    e = engine(tmp_path, two_hosts.addresses)
    row, verdict = e.authorise("purchase", 1234, CARD)
    assert verdict.state == "approved"
    assert mtis(two_hosts.backup.host) == [("0200", f"{row.stan:06d}")] and two_hosts.primary.host.received == []
    [carried] = e.journal.carried(row.id)
    assert (carried.mti, carried.stan, carried.address) == ("0200", row.stan, two_hosts.backup.address)
    assert e.link.status().state == "backup"


def test_a_primary_that_swallows_connects_fails_over_within_the_connect_budget(two_hosts, syn_sink, tmp_path):
    e = engine(tmp_path, [syn_sink, two_hosts.backup.address], connect_timeout_s=1.0)
    row, verdict = e.authorise("purchase", 1234, CARD)
    assert verdict.state == "approved"
    assert e.journal.carried(row.id)[0].address == two_hosts.backup.address
    assert e.link.health[0].failures == 1 and "timed out" in e.link.health[0].last_error


def test_a_primary_that_accepts_and_never_answers_is_reversed_through_the_backup_never_resent(two_hosts,
                                                                                            tmp_path):
    two_hosts.primary.proxy.add(Fault("drop", "response", times=None))  # it processes, and the answer is lost
    e = engine(tmp_path, two_hosts.addresses)
    row, verdict = e.authorise("purchase", 1234, CARD)
    assert verdict.state == "reversal_pending" and e.journal.txn(row.id).state == "reversed"  # by the same call
    # the 0200 went to the primary only; the backup got the reversal and nothing else
    assert mtis(two_hosts.primary.host) == [("0200", f"{row.stan:06d}")]
    [(mti, _stan)] = mtis(two_hosts.backup.host)
    assert mti == "0400"
    carried = [(m.mti, m.address) for m in e.journal.carried(row.id)]
    assert carried == [("0200", two_hosts.primary.address), ("0400", two_hosts.backup.address)]
    assert disagreements(e.journal, two_hosts.ledger) == []   # the primary's approval is reversed at the acquirer


def test_both_down_sends_nothing_and_the_link_says_offline(two_hosts, tmp_path):
    two_hosts.primary.proxy.refuse()
    two_hosts.backup.proxy.refuse()
    e = engine(tmp_path, two_hosts.addresses)
    result = e.sale("purchase", 1234, CARD)
    assert result.outcome == "not_sent"
    assert two_hosts.ledger.messages() == [] and e.journal.carried(result.id) == []
    status = e.link.status()
    assert status.state == "offline" and status.since is not None
    with pytest.raises(ConnectError, match="no address of the host could be reached"):
        e.link.ensure_connected()


def test_a_recovered_primary_is_preferred_again_after_its_backoff(two_hosts, tmp_path):
    ticks = Ticks()
    two_hosts.primary.proxy.refuse()
    e = engine(tmp_path, two_hosts.addresses, clock=ticks)
    first, _ = e.authorise("purchase", 100, CARD)
    two_hosts.primary.proxy.reopen()
    second, _ = e.authorise("purchase", 200, CARD)  # primary still in backoff: stays on the backup
    ticks.now += 1.5                                 # its first backoff (1 s) has run out
    third, _ = e.authorise("purchase", 300, CARD)
    where = [e.journal.carried(r.id)[0].address for r in (first, second, third)]
    assert where == [two_hosts.backup.address, two_hosts.backup.address, two_hosts.primary.address]
    assert e.link.status().state == "online" and e.link.health[0].failures == 0


def test_a_flapping_primary_loses_nothing_and_books_agree(two_hosts, tmp_path):
    ticks = Ticks()
    e = engine(tmp_path, two_hosts.addresses, clock=ticks)
    primary = two_hosts.primary.proxy
    used = set()
    for i in range(24):
        if i % 4 == 0:
            primary.refuse()
        if i % 4 == 2:
            primary.reopen()
            ticks.now += 61                          # past any backoff: the primary is tried again
        if i % 6 == 3:
            primary.add(Fault("drop", "response"))   # and sometimes it takes a sale and never answers
        row, _ = e.authorise("purchase", 100 + i, CARD)
        used |= {m.address for m in e.journal.carried(row.id)}
    e.drain_saf(force=True)
    assert used == set(two_hosts.addresses)
    assert disagreements(e.journal, two_hosts.ledger) == []
    for t in e.journal.txns(limit=100):               # no 0200 was ever carried by two addresses
        sent = [m.address for m in e.journal.carried(t.id) if m.mti == "0200"]
        assert len(sent) <= 1, (t.id, sent)
