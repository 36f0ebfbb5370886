"""`posterm sale --reader serial:DEVICE`: a real posterm process reading a real pty through pyserial, the
emulated MSR on the other side, the host simulator on a real socket."""
from __future__ import annotations

from terminal.iso8583 import decode
from tests.fixtures.host import MAC_KEY, host_address


def test_magstripe_card_from_a_serial_reader_is_approved(host_sim, posterm, msr_emulator):
    for protocol, amount in (("ascii", "3.00"), ("msr605", "3.01")):   # the same card and amount again: the
        dev = msr_emulator(protocol, ["split:magstripe"]).slave_path             # duplicate guard's case
        r = posterm("sale", amount, "--reader", f"serial:{dev}?protocol={protocol}", "--host",
                    host_address(host_sim), "--json")
        assert r.code == 0 and r.json["outcome"] == "approved" and r.json["entry_mode"] == "901", r.err
    assert [decode(m, MAC_KEY).fields[35] for m in host_sim.received] == ["4761739001010010=301210100000000"] * 2


def test_chip_card_swiped_on_serial_reader_is_refused_and_nothing_sent(host_sim, posterm, msr_emulator):
    dev = msr_emulator("msr605", ["good:visa"]).slave_path
    r = posterm("sale", "3.00", "--reader", f"serial:{dev}?protocol=msr605", "--host", host_address(host_sim),
                "--json")
    assert r.code == 4 and r.json["message"] == "INSERT CARD" and host_sim.received == []


def test_bad_swipe_says_swipe_again_and_nothing_sent(host_sim, posterm, msr_emulator):
    dev = msr_emulator("msr605", ["bad-status"]).slave_path
    r = posterm("sale", "3.00", "--reader", f"serial:{dev}?protocol=msr605", "--host", host_address(host_sim),
                "--json")
    assert r.code == 4 and r.json["message"] == "SWIPE AGAIN" and host_sim.received == []


def test_missing_port_is_a_device_error(posterm, tmp_path):
    r = posterm("sale", "3.00", "--reader", f"serial:{tmp_path / 'ttyUSB9'}")
    assert r.code == 4 and "ttyUSB9" in r.err
