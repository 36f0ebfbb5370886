"""Zero-decimal currencies through a real `posterm` process and the host simulator: what the operator types,
field 4, the screen and the receipt all use the ISO 4217 exponent (KRW has none)."""
from __future__ import annotations

from terminal.iso8583 import decode
from tests.fixtures.host import MAC_KEY, terminal_config


def _krw(tmp_path, host_sim):
    return terminal_config(tmp_path, host_sim, timeout_s=None, currency="410", name="krw.toml")


def test_krw_sale_of_1000_charges_1000_won_on_wire_screen_and_receipt(host_sim, posterm, tmp_path):
    cfg = _krw(tmp_path, host_sim)
    r = posterm("sale", "1000", "--reader", "emulated-swipe:magstripe", "--config", cfg)
    assert r.code == 0, r.err
    req = decode(host_sim.received[0], MAC_KEY)
    assert req.fields[4] == "000000001000" and req.fields[49] == "410"
    assert r.out.splitlines()[0] == "AMOUNT KRW 1000"
    assert "TOTAL                   KRW 1000" in r.out  # the receipt agrees with the screen
    # the same card for the same amount again: the last ENTER is the cashier's yes to 'charge again?'
    keyed = posterm("sale", "--reader", "emulated-swipe:magstripe", "--keys", "1,0,0,0,ENTER,ENTER,ENTER", "--config",
                    cfg, "--json")
    assert keyed.code == 0 and keyed.json["amount"] == 1000
    assert decode(host_sim.received[1], MAC_KEY).fields[4] == "000000001000"
    assert "KRW 1000" in posterm("txn", "show", "2").out


def test_amounts_outside_the_grammar_are_refused_and_nothing_is_sent(host_sim, posterm, tmp_path):
    cfg = _krw(tmp_path, host_sim)
    for text in ("10.00", "1e5", "1_000", "sNaN", "-5"):
        r = posterm("sale", text, "--config", cfg)
        assert r.code == 2 and r.err.count("\n") == 1, (text, r.err)
        assert "expected ASCII digits without decimals, e.g. 1000 (KRW has no minor unit)" in r.err
    assert host_sim.received == []
    assert not (posterm.data_dir / "journal.sqlite3").exists()  # refused before the journal was touched
