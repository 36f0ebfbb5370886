"""The host simulator's side of host-interface.md, over a real socket where the wire matters."""
from __future__ import annotations

import datetime as dt

import pytest

from terminal.hostsim.ledger import Ledger
from terminal.hostsim.logic import HostLogic, HostPolicy
from terminal.hostsim.rules import RuleError, parse_rule
from terminal.iso8583 import decode, encode
from terminal.iso8583.builders import (PURCHASE, REFUND, Original, Terminal, request_0200, reversal_0400,
                                       settlement_0500)
from terminal.link.client import Endpoint, HostLink
from tests.fixtures.host import MAC_KEY

T = Terminal("TERM0001", "MERCHANT0000001", "156")
NOW = dt.datetime(2026, 11, 25, 9, 0, 0, tzinfo=dt.timezone.utc)
TRACK2 = "4761739001010119=31121010000000000"


def orig(stan: int, amount: int = 1000, proc: str = PURCHASE) -> Original:
    return Original(proc, amount, stan, dt.datetime(2026, 11, 25, 10, 0, stan % 60), "901", 1, "1125090000")


def msg(mti, fields):
    return decode(encode(mti, fields, MAC_KEY), MAC_KEY)


def sale(logic, stan, amount=1000, proc=PURCHASE, track2=TRACK2):
    return logic.handle(msg("0200", request_0200(T, orig(stan, amount, proc), NOW, track2=track2)))


@pytest.fixture
def logic():
    return HostLogic(Ledger(), HostPolicy(today=dt.date(2026, 11, 25)))


def test_approval_echoes_keys_and_sets_rrn_and_auth(logic):
    mti, f = sale(logic, 1)
    assert mti == "0210" and f[39] == "00" and f[11] == "000001" and f[12] == "100001" and f[13] == "1125"
    assert len(f[37]) == 12 and len(f[38]) == 6


def test_duplicate_request_gets_the_first_answer_and_is_not_charged_twice(logic):
    _, first = sale(logic, 5)
    _, again = sale(logic, 5)
    assert {k: again[k] for k in (37, 38, 39)} == {k: first[k] for k in (37, 38, 39)}
    assert len(logic.ledger.approvals()) == 1


def test_reversal_matches_original_by_field_90_and_is_idempotent(logic):
    sale(logic, 7)
    rev = msg("0400", reversal_0400(T, orig(7), NOW, stan=8, reason="68"))
    assert logic.handle(rev)[1][39] == "00"
    assert logic.ledger.approvals()[0]["reversed"] == 1
    rep = msg("0401", reversal_0400(T, orig(7), NOW, stan=8, reason="68"))
    assert logic.handle(rep)[1][39] == "00"  # a repeat gets the first answer again
    other = msg("0400", reversal_0400(T, orig(7), NOW, stan=9, reason="68"))
    assert logic.handle(other)[1][39] == "94"  # a second reversal of the same original: already done


def test_reversal_of_an_unknown_original_answers_25(logic):
    assert logic.handle(msg("0400", reversal_0400(T, orig(40), NOW, stan=41, reason="68")))[1][39] == "25"


def test_settlement_totals_cover_approved_unreversed_purchases_and_refunds(logic):
    sale(logic, 1, 1000)
    sale(logic, 2, 2500)
    sale(logic, 3, 700, proc=REFUND)
    sale(logic, 4, 999)
    logic.handle(msg("0400", reversal_0400(T, orig(4, 999), NOW, stan=5, reason="68")))
    good = settlement_0500(T, NOW, stan=6, batch=1, credits=(1, 700), debits=(2, 3500))
    bad = settlement_0500(T, NOW, stan=7, batch=1, credits=(1, 700), debits=(3, 4499))
    assert logic.handle(msg("0500", bad))[1][39] == "95"
    assert logic.handle(msg("0500", good))[1][39] == "00"


@pytest.mark.parametrize("track2, code", [
    ("4761739001010119=20011010000000000", "54"),   # expired
    ("4761739001010118=31121010000000000", "14"),   # Luhn fails
])
def test_card_checks(logic, track2, code):
    assert sale(logic, 9, track2=track2)[1][39] == code


def test_merchant_not_enabled_answers_03():
    logic = HostLogic(Ledger(), HostPolicy(merchants={"SOMEONEELSE"}))
    assert sale(logic, 1)[1][39] == "03"


def test_missing_mandatory_field_answers_30(logic):
    fields = request_0200(T, orig(1), NOW, track2=TRACK2)
    del fields[25]
    assert logic.handle(msg("0200", fields))[1][39] == "30"


def test_rules_parse_and_refuse_nonsense():
    r = parse_rule("mti=0200:amount=5100:code=51:times=2")
    assert (r.mti, r.amount, r.code, r.times) == ("0200", 5100, "51", 2)
    assert parse_rule("mti=0400:silent").silent
    with pytest.raises(RuleError, match="cannot read 'colour=red'"):
        parse_rule("amount=1:colour=red")
    assert parse_rule("mti=0200:script=block:script=pin_unblock").scripts == ("block", "pin_unblock")
    with pytest.raises(RuleError, match="cannot read 'script=erase'"):
        parse_rule("mti=0200:script=erase")


def test_bad_mac_request_is_refused_with_63_and_not_acted_on(host_sim):
    link = HostLink(Endpoint("127.0.0.1", host_sim.port))
    wire = encode("0200", request_0200(T, orig(3), NOW, track2=TRACK2), bytes(16))  # wrong key
    resp = decode(link.exchange(wire, 5), MAC_KEY)
    assert resp.mti == "0210" and resp.fields[39] == "63" and resp.fields[11] == "000003"
    assert host_sim.ledger.approvals() == []
    link.close()


def test_garbage_frame_drops_the_connection(host_sim):
    import socket
    s = socket.create_connection(("127.0.0.1", host_sim.port))
    s.sendall(b"\x00\x20" + b"Z" * 32)
    s.settimeout(5)
    assert s.recv(100) == b""  # closed without an answer
    s.close()


def test_online_pin_block_is_checked_by_the_issuer():
    """ISO 9564 format 0, built here by hand: PIN field 04 1234 FF..., PAN field 0000 + the 12 digits left of
    the check digit, XOR, then TDES under the PIN key."""
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    from cryptography.hazmat.primitives.ciphers import Cipher, modes
    from terminal.hostsim.pin_check import online_pin_ok, pin_from_format0
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    pan = "4761739001010010"
    clear = (0x041234FFFFFFFFFF ^ 0x0000173900101001).to_bytes(8, "big")
    enc = Cipher(TripleDES(key + key[:8]), modes.ECB()).encryptor()
    block = enc.update(clear) + enc.finalize()
    assert pin_from_format0(block, pan, key) == "1234"
    assert online_pin_ok(block, pan, key) is True          # the visa test card's PIN is 1234
    assert online_pin_ok(block, "5413330089010434", key) is False  # another card's PIN differs; wrong PAN field
    assert online_pin_ok(block, "4000000000000002", key) is None   # a card the issuer has no PIN for
