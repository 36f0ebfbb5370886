"""Chip sales through the EMV kernel, the engine, the real host simulator (ARQC checked, ARPC made) and a
real journal: every way a chip sale can end, with the messages the host received and the journal after."""
from __future__ import annotations

from dataclasses import replace

import pytest

from drivers.emulated.inprocess import InProcessChannel
from drivers.emulated.vcard import load_profile
from terminal.config import Config
from terminal.emv.pin import EmulatedPinPad
from terminal.hostsim.rules import Rule
from terminal.iso8583 import decode
from terminal.link.client import Endpoint, HostLink
from terminal.store import Journal
from terminal.txn.chip import chip_sale
from terminal.txn.engine import Engine
from tests.fixtures.agreement import disagreements
from tests.fixtures.host import MAC_KEY

PINS = {"visa": "1234", "mastercard": "4321", "unionpay": "123456"}


def engine_for(host, tmp_path, *, floor_limit: int = 0, port: int | None = None) -> Engine:
    cfg = Config()
    port = port or host.port
    cfg = replace(cfg, host=replace(cfg.host, address=f"127.0.0.1:{port}", timeout_s=1.0, connect_timeout_s=1.0),
                  limits=replace(cfg.limits, floor_limit=floor_limit))
    return Engine(cfg, Journal(tmp_path / "j.sqlite3"), HostLink(Endpoint("127.0.0.1", port, connect_timeout_s=1)))


def sale(engine, profile, amount=1234, **kw):
    card = load_profile(profile)
    tapped = card.image.contactless and not card.image.contact
    channel = InProcessChannel(card, protocol="contactless" if tapped else None)
    return chip_sale(engine, "purchase", amount, channel, pinpad=EmulatedPinPad(PINS.get(profile)), **kw), channel


@pytest.mark.parametrize("profile, entry", [("visa", "051"), ("mastercard", "051"), ("unionpay", "051"),
                                            ("contactless", "071")])
def test_online_approval_with_field_55_and_no_forbidden_tags(host_sim, tmp_path, profile, entry):
    e = engine_for(host_sim, tmp_path)
    (result, outcome), _ = sale(e, profile)
    assert (result.outcome, result.entry_mode) == ("approved", entry)
    [req] = [decode(m, MAC_KEY) for m in host_sim.received]
    assert req.mti == "0200" and req.fields[22] == entry and 55 in req.fields
    from drivers.emvspec.ber_tlv import parse_deep
    tags = {t.tag for t in parse_deep(req.fields[55])}
    assert 0x9F26 in tags and not tags & {0x56, 0x57, 0x5A, 0x5F20, 0x5F24, 0x99, 0x9F0B, 0x9F1F, 0x9F20}
    assert disagreements(e.journal, host_sim.ledger) == []


def test_wrong_cryptogram_is_declined_by_the_host(host_sim, tmp_path, monkeypatch):
    """The host verifies the ARQC: a card with a different issuer key is declined (05)."""
    import terminal.hostsim.issuer_emv as issuer
    monkeypatch.setattr(issuer, "verify_arqc", lambda *a, **k: False)  # mock: stands for a forged card key
    e = engine_for(host_sim, tmp_path)
    (result, _), _ = sale(e, "visa")
    assert result.outcome == "declined" and result.response_code == "05"


def test_card_removed_after_host_approval_is_reversed_with_06(host_sim, tmp_path):
    e = engine_for(host_sim, tmp_path)
    card = load_profile("visa")
    channel = InProcessChannel(card)
    (result, outcome) = chip_sale(e, "purchase", 1234, channel, pinpad=EmulatedPinPad("1234"),
                                  on_online=channel.remove)  # pulled while the 0200 is in flight
    assert result.outcome == "reversed" and "DECLINED BY CARD" in result.message
    msgs = [decode(m, MAC_KEY) for m in host_sim.received]
    assert [m.mti for m in msgs] == ["0200", "0400"] and msgs[1].fields[39] == "06"
    assert host_sim.ledger.approvals()[0]["reversed"] == 1
    assert disagreements(e.journal, host_sim.ledger) == []


def test_timeout_reverses_and_the_card_is_told_not_approved(host_sim, tmp_path):
    host_sim.rules.append(Rule(mti="0200", silent=True))
    e = engine_for(host_sim, tmp_path)
    (result, outcome), _ = sale(e, "visa")
    assert result.outcome == "reversed" and outcome.cryptogram == "AAC"
    assert [decode(m, MAC_KEY).mti for m in host_sim.received] == ["0200", "0400"]
    assert disagreements(e.journal, host_sim.ledger) == []


def test_offline_approval_within_floor_limit_is_advised_later(host_sim, tmp_path):
    e = engine_for(host_sim, tmp_path, floor_limit=5000)
    (result, outcome), _ = sale(e, "visa", amount=1234)
    assert result.outcome == "offline_approved" and host_sim.received == []
    e.drain_saf(force=True)
    [advice] = [decode(m, MAC_KEY) for m in host_sim.received]
    assert advice.mti == "0220" and advice.fields[39] == "Y1" and 35 not in advice.fields
    assert e.journal.txn(result.id).state == "offline_approved"
    assert disagreements(e.journal, host_sim.ledger) == []


def _dead_port() -> int:
    import socket
    s = socket.create_server(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_host_unreachable_default_action_codes_decline_z3(host_sim, tmp_path):
    """Book 3 10.7: unable to go online, the terminal compares TAC/IAC-Default with the TVR. The amount is above
    the floor limit (TVR byte 4 bit 8) and the default TAC-Default (DC4000A800) has that bit: AAC, Z3."""
    e = engine_for(host_sim, tmp_path, port=_dead_port())
    (result, outcome), _ = sale(e, "visa")
    # the same outcome word and exit code as a swipe with the host down: nothing was charged
    assert (result.outcome, result.exit_code, outcome.chip_response_code) == ("not_sent", 3, "Z3")
    assert result.message == "HOST UNREACHABLE: card not charged, try again"
    assert outcome.tvr[3] & 0x80 and e.journal.saf_pending() == []
    assert "nothing sent; declined by the chip (Z3)" in e.journal.events(result.id)[-1][2]


def test_host_unreachable_permissive_action_codes_approve_y3_and_advise_later(host_sim, tmp_path):
    """With TAC-Default all zero (and the card's IAC-Default not objecting) the card approves offline: the row
    whose 0200 never left becomes an offline approval with its advice, same STAN, one commit; delivered later."""
    from terminal.emv.config import EmvTerminalData
    from terminal.txn.emv_params import emv_config
    e = engine_for(host_sim, tmp_path, port=_dead_port())
    base = emv_config(e.cfg, contactless=False)
    permissive = replace(base, aids=tuple(replace(a, tac_default=bytes(5)) for a in base.aids))
    assert isinstance(permissive, EmvTerminalData)
    (result, outcome), _ = sale(e, "visa", emv=permissive)
    assert (result.outcome, outcome.chip_response_code) == ("offline_approved", "Y3")
    [entry] = e.journal.saf_pending()
    assert entry.kind == "advice" and entry.stan == result.stan and entry.reason_code == "Y3"
    # the host comes back: the advice goes as a 0220 with the final TC
    e.link = HostLink(Endpoint("127.0.0.1", host_sim.port))
    e.cfg = replace(e.cfg, host=replace(e.cfg.host, address=f"127.0.0.1:{host_sim.port}"))
    e.drain_saf(force=True)
    [advice] = [decode(m, MAC_KEY) for m in host_sim.received]
    assert advice.mti == "0220" and advice.fields[39] == "Y3" and advice.fields[11] == f"{result.stan:06d}"
    assert e.journal.txn(result.id).state == "offline_approved"
    assert disagreements(e.journal, host_sim.ledger) == []


@pytest.mark.parametrize("profile, outcome_word, why", [
    ("expired", "declined", "declined offline by the chip"),
    ("bad-oda", "declined", "declined offline by the chip"),
    ("pin-blocked", "declined", "declined offline by the chip"),
])
def test_broken_cards_decline_offline_and_send_nothing(host_sim, tmp_path, profile, outcome_word, why):
    e = engine_for(host_sim, tmp_path)
    (result, outcome), _ = sale(e, profile)
    assert result.outcome == outcome_word and host_sim.received == []
    assert why in e.journal.events(result.id)[-1][2]


@pytest.mark.parametrize("profile, fault", [("blocked", "blocked (SW 6283)"), ("bad-tlv", "bad TLV")])
def test_malformed_or_blocked_cards_end_with_a_named_reason(host_sim, tmp_path, profile, fault):
    e = engine_for(host_sim, tmp_path)
    (result, outcome), _ = sale(e, profile)
    assert result.outcome == "not_sent" and fault in result.message and host_sim.received == []
