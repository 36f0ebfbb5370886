"""Store-and-forward against the real host simulator on a real socket: order, repeats, advices, expiry."""
from __future__ import annotations

from dataclasses import replace

from terminal.config import Config
from terminal.hostsim.rules import Rule
from terminal.iso8583 import decode
from terminal.link.client import Endpoint, HostLink
from terminal.store import Journal
from terminal.txn.engine import Engine
from terminal.txn.records import CardInput
from terminal.txn.sealing import unseal
from tests.fixtures.agreement import disagreements
from tests.fixtures.host import MAC_KEY

PAN = "4761739001010010"
ICC = bytes.fromhex("9F2608A1B2C3D4E5F607189F270140")  # ARQC-shaped test TLV; the TC of an offline approval
CHIP = CardInput(entry_mode="051", masked_pan="476173******0010", pan=PAN, expiry="3112", psn="01", icc=ICC)
SWIPE = CardInput(entry_mode="901", masked_pan="476173******0119", track2="4761739001010119=31121010000000000")


def engine_for(host, tmp_path, **saf) -> Engine:
    cfg = Config()
    cfg = replace(cfg, host=replace(cfg.host, address=f"127.0.0.1:{host.port}", timeout_s=1.0),
                  saf=replace(cfg.saf, **saf))
    return Engine(cfg, Journal(tmp_path / "j.sqlite3"), HostLink(Endpoint("127.0.0.1", host.port)))


def test_offline_approval_is_advised_with_sealed_card_data_then_erased(host_sim, tmp_path):
    e = engine_for(host_sim, tmp_path)
    row = e.approve_offline("purchase", 800, CHIP, "Y3")
    [entry] = e.journal.saf_pending()
    assert entry.kind == "advice" and entry.stan == row.stan and PAN.encode() not in entry.sealed
    assert unseal(e.cfg.keys.data_key, row.id, entry.sealed).pan == PAN
    raw_db = (tmp_path / "j.sqlite3").read_bytes() + (tmp_path / "j.sqlite3-wal").read_bytes()
    assert PAN.encode() not in raw_db  # nothing in clear at rest
    assert e.drain_saf().delivered == 1
    [advice] = [decode(m, MAC_KEY) for m in host_sim.received]
    assert advice.mti == "0220" and advice.fields[39] == "Y3" and advice.fields[2] == PAN
    assert advice.fields[55] == ICC and advice.fields[23] == "001" and 35 not in advice.fields and 52 not in advice.fields
    assert e.journal.txn(row.id).state == "offline_approved"
    assert e.journal.saf_all()[0].sealed is None  # erased once the host has it
    assert disagreements(e.journal, host_sim.ledger) == []


def test_lost_advice_is_repeated_as_0221_with_the_same_stan(host_sim, tmp_path):
    host_sim.rules.append(Rule(mti="0220", drop=True))
    e = engine_for(host_sim, tmp_path)
    e.approve_offline("purchase", 800, CHIP, "Y1")
    assert e.drain_saf().pending == 1
    assert e.drain_saf(force=True).delivered == 1
    msgs = [decode(m, MAC_KEY) for m in host_sim.received]
    assert [m.mti for m in msgs] == ["0220", "0221"] and msgs[0].fields[11] == msgs[1].fields[11]


def test_backoff_is_respected_unless_forced(host_sim, tmp_path):
    host_sim.rules.append(Rule(mti="0220", drop=True, times=1))
    e = engine_for(host_sim, tmp_path)
    e.approve_offline("purchase", 800, CHIP, "Y1")
    e.drain_saf()
    report = e.drain_saf()  # immediately again: the entry waits for its backoff
    assert report.delivered == 0 and report.error == "waiting for backoff" and len(host_sim.received) == 1


def test_a_stuck_advice_does_not_block_a_sale_but_a_stuck_reversal_does(host_sim, tmp_path):
    host_sim.rules += [Rule(mti="0220", code="96"), Rule(mti="0221", code="96")]
    e = engine_for(host_sim, tmp_path)
    e.approve_offline("purchase", 800, CHIP, "Y1")
    row, verdict = e.authorise("purchase", 100, SWIPE)
    assert verdict.state == "approved"
    assert [decode(m, MAC_KEY).mti for m in host_sim.received] == ["0220", "0200"]


def test_reversals_go_before_advices(host_sim, tmp_path):
    host_sim.rules += [Rule(mti="0200", silent=True, times=1), Rule(mti="0400", drop=True, times=1)]
    e = engine_for(host_sim, tmp_path)
    e.authorise("purchase", 100, SWIPE)          # 0200 unanswered, 0400 lost: reversal pending
    e.approve_offline("purchase", 800, CHIP, "Y1")  # advice queued after it
    e.drain_saf(force=True)
    assert [decode(m, MAC_KEY).mti for m in host_sim.received] == ["0200", "0400", "0401", "0220"]
    assert disagreements(e.journal, host_sim.ledger) == []


def test_expired_entry_needs_attention_and_stays_visible(host_sim, tmp_path):
    host_sim.rules += [Rule(mti="0220", drop=True), Rule(mti="0221", drop=True)]
    e = engine_for(host_sim, tmp_path, max_attempts=2)
    row = e.approve_offline("purchase", 800, CHIP, "Y1")
    for _ in range(3):
        e.drain_saf(force=True)
    assert e.journal.txn(row.id).state == "needs_attention"
    [entry] = e.journal.saf_all()
    assert entry.state == "needs_attention" and entry.sealed is not None  # kept: someone must still act on it
    from terminal.txn.explain import explain
    assert explain(e.journal.txn(row.id), e.journal).startswith("NEEDS ATTENTION")


def test_magstripe_never_approves_offline(host_sim, tmp_path):
    import pytest
    e = engine_for(host_sim, tmp_path)
    with pytest.raises(ValueError, match="only a chip may approve offline"):
        e.approve_offline("purchase", 100, replace(SWIPE, pan="4761739001010119", expiry="3112", icc=b"\x9f"), "Y3")
