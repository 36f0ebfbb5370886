"""Book C-3 issuer update processing end to end: a qVSDC tap through the real PC/SC stack (pcscd + vpcd), the
sale core and driver loop, the host simulator on a real socket answering with 91 and an APPLICATION BLOCK
script (rule `script=block`); the card is taken away while the host works and presented again when the
terminal asks for it. The script reaches the card through pcscd and its result is in the journal."""
from __future__ import annotations

import threading
import time
from dataclasses import replace

from drivers import pcsc
from drivers.emulated.vcard import card_image
from drivers.emulated.vcard.engine import VirtualEmvCard
from terminal.config import load
from terminal.hostsim.rules import parse_rule
from terminal.link.client import HostLink
from terminal.link.client import Endpoint
from terminal.store import Journal
from terminal.txn import core as c
from terminal.txn.cards import ChipReader
from terminal.txn.emv_params import emv_config
from terminal.txn.loop import Driver
from terminal.iso8583 import decode
from tests.fixtures.host import MAC_KEY, host_address, terminal_config

WAIT = 20.0
AID = bytes.fromhex("A0000000031010")


def wait_until(check, what: str, limit_s: float = WAIT) -> None:
    deadline = time.monotonic() + limit_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def tap_with_issuer_update(pcsc_stack, host_sim, tmp_path, *, comes_back: bool, card_timeout_s: float = WAIT):
    """One sale; the customer takes the card away once the request is at the host (which answers after 3 s,
    with an APPLICATION BLOCK script) and, when `comes_back`, taps it again once the terminal asks."""
    card = VirtualEmvCard(replace(card_image("contactless"), ctq=b"\x00\x40"))   # CTQ: takes issuer update
    server = pcsc_stack.serve(card, contactless=True)
    host_sim.rules.append(parse_rule("mti=0200:script=block:delay=3"))   # time to take the card away
    cfg = load(terminal_config(tmp_path, host_sim, timeout_s=10))
    emv = emv_config(cfg, True)
    emv = replace(emv, aids=tuple(replace(a, issuer_update=True) for a in emv.aids))
    journal = Journal(tmp_path / "j.sqlite3")
    trace: list[tuple[str, bytes, bytes]] = []
    driver = Driver(cfg, journal, HostLink(Endpoint.parse(host_address(host_sim))), emv=emv,
                    tracer=lambda n, cmd, resp: trace.append((n, cmd, resp)))
    seen: dict[str, object] = {}

    def customer() -> None:
        try:
            wait_until(lambda: host_sim.received, "the 0200 at the host")
            pcsc_stack.remove(server)
            wait_until(lambda: driver.last_core is not None and driver.last_core.phase is c.Phase.PRESENT_AGAIN,
                       "the terminal to ask for the card again")
            seen["asked_with"] = len(trace)
            if comes_back:
                server.insert(card)
        except BaseException as e:   # reported by the main thread
            seen["error"] = e
    helper = threading.Thread(target=customer, daemon=True)
    helper.start()
    result = driver.sale("purchase", 1234, ChipReader(lambda: pcsc.open_spec("pcsc", timeout=card_timeout_s)))
    helper.join(WAIT)
    assert "error" not in seen, seen.get("error")
    return result, card, journal, trace, seen


def test_second_tap_delivers_the_issuer_script_through_pcscd(pcsc_stack, host_sim, tmp_path):
    result, card, journal, trace, seen = tap_with_issuer_update(pcsc_stack, host_sim, tmp_path, comes_back=True)

    assert (result.outcome, result.entry_mode) == ("approved", "071")
    first_tap = [n for n, _, _ in trace[:seen["asked_with"]]]
    assert first_tap == ["SELECT", "SELECT", "GET PROCESSING OPTIONS", "READ RECORD 1.1", "READ RECORD 2.1"]
    second = [(n, cmd[:2].hex(), resp[-2:].hex()) for n, cmd, resp in trace[seen["asked_with"]:]]
    assert second == [("SELECT", "00a4", "9000"), ("EXTERNAL AUTHENTICATE", "0082", "9000"),
                      ("issuer script command 1", "841e", "9000")]
    assert AID in card.blocked                                   # the issuer's APPLICATION BLOCK took effect
    events = journal.events(result.id)
    assert [str(s) for _, s, _ in events][-2:] == ["approved", "approved"]
    assert events[-1][2] == ("issuer update delivered on the second tap: EXTERNAL AUTHENTICATE 9000, "
                             "9F5B 2000000001")


def test_card_not_presented_again_leaves_the_sale_approved_through_pcscd(pcsc_stack, host_sim, tmp_path):
    result, card, journal, trace, seen = tap_with_issuer_update(pcsc_stack, host_sim, tmp_path, comes_back=False,
                                                                card_timeout_s=2)
    assert result.outcome == "approved" and result.message == "APPROVED"
    assert len(trace) == seen["asked_with"] and not card.blocked          # nothing more reached the card
    assert [decode(m, MAC_KEY).mti for m in host_sim.received] == ["0200"]   # no reversal, no advice
    assert journal.events(result.id)[-1][2] == ("issuer update not delivered: the card was not presented again "
                                                "(no card within the card timeout)")
