"""Void and settlement against the real host simulator: totals, batch upload on 95, and what blocks a close."""
from __future__ import annotations

from dataclasses import replace

from terminal.config import Config
from terminal.hostsim.rules import Rule
from terminal.iso8583 import decode
from terminal.link.client import Endpoint, HostLink
from terminal.store import Journal
from terminal.txn.engine import Engine
from terminal.txn.explain import explain
from terminal.txn.records import CardInput
from terminal.txn.settle import settle
from tests.fixtures.agreement import disagreements
from tests.fixtures.host import MAC_KEY

SWIPE = CardInput(entry_mode="901", masked_pan="476173******0119", track2="4761739001010119=31121010000000000")


def engine_for(host, tmp_path) -> Engine:
    cfg = Config()
    cfg = replace(cfg, host=replace(cfg.host, address=f"127.0.0.1:{host.port}", timeout_s=1.0))
    return Engine(cfg, Journal(tmp_path / "j.sqlite3"), HostLink(Endpoint("127.0.0.1", host.port)))


def void(e: Engine, txn_id: int):
    orig = e.journal.txn(txn_id)
    return e.authorise("void", orig.amount, CardInput(orig.entry_mode, orig.masked_pan), original=orig)


def test_void_removes_the_original_and_settlement_balances(host_sim, tmp_path):
    e = engine_for(host_sim, tmp_path)
    a, _ = e.authorise("purchase", 1000, SWIPE)
    b, _ = e.authorise("purchase", 2500, SWIPE)
    e.authorise("refund", 300, SWIPE)
    v, verdict = void(e, b.id)
    assert verdict.state == "approved" and e.journal.txn(b.id).state == "voided"
    wire = decode(host_sim.received[-1], MAC_KEY)
    assert wire.fields[3] == "020000" and wire.fields[37] == b.rrn and 35 not in wire.fields
    r = settle(e)
    assert (r.outcome, r.debits, r.credits, r.uploaded) == ("closed", (1, 1000), (1, 300), 0)
    s = decode(host_sim.received[-1], MAC_KEY)
    assert s.mti == "0500" and s.fields[3] == "920000" and s.fields[88] == "0000000000001000"
    assert e.journal.current_batch() == 2
    assert explain(e.journal.txn(a.id), e.journal).startswith("approved and settled in batch 000001 on ")
    assert explain(e.journal.txn(b.id), e.journal).startswith("voided (voided by transaction")
    assert disagreements(e.journal, host_sim.ledger) == []


def test_out_of_balance_uploads_the_batch_then_settles_again(host_sim, tmp_path):
    e = engine_for(host_sim, tmp_path)
    a, _ = e.authorise("purchase", 1000, SWIPE)
    e.authorise("purchase", 700, SWIPE)
    host_sim.ledger._db.execute("DELETE FROM financial WHERE stan=?", (f"{a.stan:06d}",))  # the host lost one
    r = settle(e)
    assert (r.outcome, r.uploaded) == ("closed", 2)
    tail = [decode(m, MAC_KEY) for m in host_sim.received]
    assert [m.mti for m in tail][-4:] == ["0500", "0320", "0320", "0500"]
    assert tail[-1].fields[3] == "960000"
    assert e.journal.settlements()[-1]["state"] == "closed"


def test_pending_reversal_blocks_settlement(host_sim, tmp_path):
    host_sim.rules += [Rule(mti="0200", silent=True, times=1), Rule(mti="0400", drop=True),
                       Rule(mti="0401", drop=True)]
    e = engine_for(host_sim, tmp_path)
    e.authorise("purchase", 1000, SWIPE)
    r = settle(e)
    assert r.outcome == "not_sent" and "still to reach the host" in r.message
    assert "0500" not in [decode(m, MAC_KEY).mti for m in host_sim.received]
    assert e.journal.current_batch() == 1


def test_void_that_times_out_is_reversed_and_the_original_comes_back(host_sim, tmp_path):
    e = engine_for(host_sim, tmp_path)
    a, _ = e.authorise("purchase", 1000, SWIPE)
    host_sim.rules.append(Rule(mti="0200", silent=True, times=1))
    v, verdict = void(e, a.id)
    assert e.journal.txn(v.id).state == "reversed" and e.journal.txn(a.id).state == "approved"
    assert disagreements(e.journal, host_sim.ledger) == []
    assert settle(e).debits == (1, 1000)  # the original is still in the batch, on both sides
