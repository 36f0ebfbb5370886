"""Contactless sales through the real PC/SC stack (pcscd + vpcd, tests/fixtures/pcscd.py) with the emulated
kernel cards: Book C-3 qVSDC online and offline with fDDA, Book C-2 M/Chip online with CDA; the outcome is the same as in process."""
from dataclasses import replace

import pytest

from drivers import pcsc
from drivers.emulated.vcard import load_profile
from terminal.emv.config import EmvTerminalData
from terminal.emv.outcome import Decision
from terminal.hostsim.issuer_emv import verify_arqc

WAIT = 20.0


def _config(floor_limit: int) -> EmvTerminalData:
    cfg = EmvTerminalData(contactless_interface=True)
    return replace(cfg, aids=tuple(replace(a, cl_floor_limit=floor_limit) for a in cfg.aids))


@pytest.mark.parametrize("profile, floor, first, final", [
    ("contactless", 0, Decision.GO_ONLINE, Decision.ONLINE_APPROVED),
    ("qvsdc-offline", 5000, Decision.OFFLINE_APPROVED, Decision.OFFLINE_APPROVED),
    ("mchip-contactless", 0, Decision.GO_ONLINE, Decision.ONLINE_APPROVED),
])
def test_contactless_sale_through_pcscd(pcsc_stack, emv_sale, profile, floor, first, final):
    card = load_profile(profile)
    pcsc_stack.serve(card, contactless=True)
    with pcsc.wait_for_card(pcsc_stack.reader(0), WAIT) as channel:
        result = emv_sale(profile, amount=1234, card=card, channel=channel, config=_config(floor))
    out = result.final
    kernel = "C-2" if profile.startswith("mchip") else "C-3"
    assert (result.first.decision, out.decision, out.kernel, out.entry_mode) == (first, final, kernel, "071")
    assert verify_arqc(result.first.field55_request, out.pan, out.psn)
    generate_ac = [name for name, _, _ in result.trace if "GENERATE AC" in name]
    assert generate_ac == (["1st GENERATE AC (ARQC, CDA)"] if kernel == "C-2" else [])   # never a second one


@pytest.mark.parametrize("profile, floor_limit, sent", [("mchip-contactless", 0, "0200"),
                                                        ("qvsdc-offline", 5000, None)])
def test_posterm_tap_through_pcscd(pcsc_stack, host_sim, tmp_path, profile, floor_limit, sent):
    """`posterm sale` (the one sale core) with a tap on the real PC/SC stack: M/Chip online with CDA, qVSDC
    approved offline with fDDA under the floor limit (its advice waits in store-and-forward)."""
    import json
    from tests.fixtures.host import MAC_KEY, host_address
    from tests.fixtures.pcscd import POSTERM
    from terminal.iso8583 import decode
    cfg = tmp_path / "t.toml"
    cfg.write_text(f'[terminal]\nid = "TERM0001"\nmerchant_id = "MERCHANT0000001"\ncurrency = "156"\n'
                   f'[host]\naddress = "{host_address(host_sim)}"\n[keys]\nmac_key = "{MAC_KEY.hex().upper()}"\n'
                   f'[limits]\nfloor_limit = {floor_limit}\n')
    cfg.chmod(0o600)
    pcsc_stack.serve(load_profile(profile), reader=0, contactless=True)
    r = pcsc_stack.run([POSTERM, "sale", "12.34", "--reader", "pcsc", "--config", str(cfg),
                        "--data-dir", str(tmp_path / "data"), "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    res = json.loads(r.stdout)
    assert res["outcome"] == ("approved" if sent else "offline_approved") and res["entry_mode"] == "071", res
    assert res["application"] == ("MASTERCARD" if sent else "VISA CREDIT")   # the qVSDC PPSE entry has no label
    assert [decode(m, MAC_KEY).mti for m in host_sim.received][:1] == ([sent] if sent else [])
