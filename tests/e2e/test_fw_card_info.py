"""`posterm fw card info` through the real pcscd and vpcd: a real process reads a virtual card read-only."""
from __future__ import annotations

import json

from drivers.emulated.vcard import load_profile
from tests.fixtures.pcscd import POSTERM


class Counting:
    """The virtual card, noting the INS of every command it is sent."""

    def __init__(self, card) -> None:
        self.card, self.ins = card, []

    def atr(self) -> bytes:
        return self.card.atr()

    def reset(self) -> None:
        self.card.reset()

    def process(self, apdu: bytes) -> bytes:
        self.ins.append(apdu[1])
        return self.card.process(apdu)


def test_card_info_through_pcscd_is_read_only_and_masked(pcsc_stack):
    card = Counting(load_profile("visa"))
    pcsc_stack.serve(card)
    r = pcsc_stack.run([POSTERM, "fw", "card", "info", "--reader", "pcsc", "--json"])
    assert r.returncode == 0, r.stdout + r.stderr
    [app] = json.loads(r.stdout)["applications"]
    assert (app["aid"], app["label"], app["priority"], app["aip"]) == ("A0000000031010", "VISA CREDIT", 1, "7C00")
    assert (app["ca_key_index"], app["ca_key_held"], app["oda"]) == ("E1", True, ["DDA"])
    assert app["get_data"]["PIN Try Counter"] == "3" and "Application Transaction Counter" in app["get_data"]
    values = {o["tag"]: o["value"] for rec in app["records"] for o in rec["objects"]}
    assert values["5A"] == "476173******0010" and values["57"].endswith("not shown)")
    image = load_profile("visa").image
    assert image.pan not in r.stdout and image.name not in r.stdout
    assert 0xAE not in card.ins and 0x20 not in card.ins and {0xA4, 0xA8, 0xB2, 0xCA} <= set(card.ins)

    text = pcsc_stack.run([POSTERM, "fw", "card", "info", "--reader", "pcsc"])
    assert "CA public key index E1 (RID A000000003): held by the terminal" in text.stdout
    assert "5A (Application PAN): 476173******0010" in text.stdout and image.pan not in text.stdout
