"""The operator's CANCEL while the host works on the sale, for swipe, chip and tap, through a real `posterm
sale --keys` process, a real socket and the host simulator answering after 1.5 s (timeout 5 s).

CANCEL opens 'CANCEL SALE? it will be reversed'; ENTER confirms: the approval that then comes is reversed
with reason 17 and nothing is charged. Any other key dismisses it and the sale goes on. The keys run on the
real clock: WAIT:0.5 puts CANCEL in the middle of the host's 1.5 s."""
from __future__ import annotations

import pytest

from terminal.hostsim.rules import Rule
from terminal.iso8583 import decode
from tests.fixtures.host import MAC_KEY, terminal_config

READERS = [("emulated-swipe:magstripe", "901", "1234"), ("emulated:unionpay", "051", "123456"),
           ("emulated:contactless", "071", "1234")]


def _slow_host_config(tmp_path, host_sim) -> str:
    return terminal_config(tmp_path, host_sim, timeout_s=5)


@pytest.mark.parametrize("reader, entry, pin", READERS)
def test_cancel_then_enter_while_processing_reverses_with_17(host_sim, posterm, tmp_path, reader, entry, pin):
    host_sim.rules.append(Rule(mti="0200", delay_s=1.5))
    r = posterm("sale", "12.34", "--reader", reader, "--pin", pin, "--keys", "WAIT:0.5,CANCEL,ENTER",
                "--config", _slow_host_config(tmp_path, host_sim), "--json")
    assert r.code == 3, r.err
    assert r.json["outcome"] == "reversed" and r.json["entry_mode"] == entry
    assert r.json["message"] == "CANCELLED: sale reversed, customer not charged"
    msgs = [decode(m, MAC_KEY) for m in host_sim.received]
    assert [m.mti for m in msgs] == ["0200", "0400"]
    assert msgs[1].fields[39] == "17" and msgs[1].fields[90].startswith("0200" + msgs[0].fields[11])
    assert host_sim.ledger.approvals()[0]["reversed"] == 1   # the host's books: nothing charged


@pytest.mark.parametrize("reader, entry, pin", READERS)
def test_cancel_then_another_key_while_processing_lets_the_sale_go_on(host_sim, posterm, tmp_path, reader, entry,
                                                                     pin):
    host_sim.rules.append(Rule(mti="0200", delay_s=1.5))
    r = posterm("sale", "12.34", "--reader", reader, "--pin", pin, "--keys", "WAIT:0.5,CANCEL,CLEAR",
                "--config", _slow_host_config(tmp_path, host_sim), "--json")
    assert r.code == 0, r.err
    assert r.json["outcome"] == "approved" and r.json["entry_mode"] == entry
    assert [decode(m, MAC_KEY).mti for m in host_sim.received][:1] == ["0200"]
    assert "0400" not in [decode(m, MAC_KEY).mti for m in host_sim.received]


def test_cancel_confirmed_after_a_decline_ends_as_the_decline(host_sim, posterm, tmp_path):
    """A decline (or no answer) ends as it would have: there is nothing to reverse."""
    host_sim.rules.append(Rule(mti="0200", amount=5100, code="51", delay_s=1.5))
    r = posterm("sale", "--reader", "emulated-swipe:magstripe", "51.00", "--keys", "WAIT:0.5,CANCEL,ENTER", "--config", _slow_host_config(tmp_path, host_sim),
                "--json")
    assert r.code == 1 and r.json["outcome"] == "declined"
    assert [decode(m, MAC_KEY).mti for m in host_sim.received] == ["0200"]


def test_cancel_left_open_is_dismissed_by_silence_and_the_sale_goes_on(host_sim, posterm, tmp_path):
    """CANCEL with no answer from the operator: after 5 s of silence the confirmation goes and the approval
    that came meanwhile stands."""
    host_sim.rules.append(Rule(mti="0200", delay_s=1.5))
    r = posterm("sale", "--reader", "emulated-swipe:magstripe", "12.34", "--keys", "WAIT:0.5,CANCEL,WAIT:6,ENTER",
                "--config", _slow_host_config(tmp_path, host_sim), "--json")
    assert r.code == 0 and r.json["outcome"] == "approved"
