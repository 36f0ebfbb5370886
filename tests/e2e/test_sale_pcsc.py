"""`posterm sale --reader pcsc`: a real posterm process, the real pcscd with vpcd, a virtual EMV card served to it,
the host simulator on a real socket. The same driver code a USB reader goes through."""
from __future__ import annotations

import json

import pytest

from drivers.emulated.vcard import load_profile
from terminal.iso8583 import decode
from tests.fixtures.host import MAC_KEY, host_address
from tests.fixtures.pcscd import POSTERM


@pytest.mark.parametrize("profile, contactless, entry", [("visa", False, "051"), ("mastercard", False, "051"),
                                                        ("contactless", True, "071")])
def test_chip_sale_through_pcscd(pcsc_stack, host_sim, tmp_path, profile, contactless, entry):
    pcsc_stack.serve(load_profile(profile), reader=0, contactless=contactless)
    pin = {"visa": "1234", "mastercard": "4321"}.get(profile)
    r = pcsc_stack.run([POSTERM, "sale", "12.34", "--reader", "pcsc", "--host", host_address(host_sim),
                        "--data-dir", str(tmp_path), "--json"] + (["--pin", pin] if pin else []),
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    res = json.loads(r.stdout)
    assert (res["outcome"], res["entry_mode"]) == ("approved", entry)
    [req] = [decode(m, MAC_KEY) for m in host_sim.received]
    assert req.fields[22] == entry and 55 in req.fields


def test_no_card_in_the_reader_is_a_device_error(pcsc_stack, tmp_path):
    r = pcsc_stack.run([POSTERM, "sale", "1.00", "--reader", "pcsc:Virtual PCD 00 01", "--host", "127.0.0.1:9",
                        "--data-dir", str(tmp_path), "--card-timeout", "1"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 4 and "Virtual PCD 00 01" in r.stderr


def test_a_named_reader_that_is_absent_is_reported_at_once_with_those_present(pcsc_stack, tmp_path):
    import time
    t0 = time.monotonic()
    r = pcsc_stack.run([POSTERM, "sale", "1.00", "--reader", "pcsc:Nonexistent", "--host", "127.0.0.1:9",
                        "--data-dir", str(tmp_path), "--card-timeout", "30"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 4 and "reader 'Nonexistent' not found; readers present: 'Virtual PCD 00 00'" in r.stderr
    assert time.monotonic() - t0 < 10   # not the 30 s card timeout
