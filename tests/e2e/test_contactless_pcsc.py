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
