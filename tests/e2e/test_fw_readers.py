"""`posterm fw readers` (inventory and --watch) through the real pcscd and vpcd, and `posterm fw msr` against
the MSR605 emulator on a real pty."""
from __future__ import annotations

import json
import subprocess

from drivers.emulated.msr_pty import MsrPtyEmulator
from drivers.emulated.vcard import load_profile
from firmware_tools.readers import describe_known, load_smartcard_list
from tests.fixtures.pcscd import POSTERM, READERS


def test_inventory_lists_both_vpcd_readers_with_the_card_decoded(pcsc_stack):
    card = load_profile("visa")
    pcsc_stack.serve(card)
    r = pcsc_stack.run([POSTERM, "fw", "readers", "--json"])
    assert r.returncode == 0, r.stderr
    entries = {e["name"]: e for e in json.loads(r.stdout)["readers"]}
    assert set(entries) == set(READERS)
    first = entries[READERS[0]]
    assert first["atr"] == card.atr().hex().upper() and first["atr_decoded"]["protocols"] == ["T=0"]
    assert first["firmware_escape"] is None and entries[READERS[1]]["atr"] is None
    text = pcsc_stack.run([POSTERM, "fw", "readers"]).stdout
    assert "firmware escape: none documented for this family" in text and "protocols offered: T=0" in text


def test_watch_reports_insertion_and_removal(pcsc_stack):
    proc = pcsc_stack.popen([POSTERM, "fw", "readers", "--watch", "--events", "2", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert json.loads(proc.stdout.readline())["event"] == "reader"   # the two empty readers, at start
        assert json.loads(proc.stdout.readline())["event"] == "reader"
        card = load_profile("mastercard")
        server = pcsc_stack.serve(card)
        inserted = json.loads(proc.stdout.readline())
        assert (inserted["event"], inserted["reader"], inserted["atr"]) == \
               ("card_inserted", READERS[0], card.atr().hex().upper())
        assert inserted["known_card"]
        pcsc_stack.remove(server)
        removed = json.loads(proc.stdout.readline())
        assert (removed["event"], removed["reader"]) == ("card_removed", READERS[0])
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_smartcard_list_patterns(tmp_path):
    listing = tmp_path / "smartcard_list.txt"
    listing.write_text("# comment\n3B 68 00 00 00 73 C8 40 .. 00 90 00\n\tTest Visa card\n\thttp://example\n")
    known = load_smartcard_list([tmp_path / "absent", listing])
    assert describe_known(bytes.fromhex("3B6800000073C84012009000"), known) == ["Test Visa card", "http://example"]
    assert describe_known(b"\x3b\x00", known) == ["(ATR not in smartcard_list.txt)"]
    assert load_smartcard_list([tmp_path / "absent"]) is None


def test_msr605_status_and_test_read_on_a_pty(posterm):
    with MsrPtyEmulator("msr605", card="visa") as emulator:
        r = posterm("fw", "msr", emulator.slave_path, "--test-read", "5", "--json")
    assert r.code == 0, r.err
    info = r.json
    assert info["status"]["communication"] == "ok" and info["status"]["ram_test"] == "ok"
    assert info["status"]["firmware"].startswith("not supported")   # the emulator answers ESC 4
    read = info["test_read"]
    assert read["ok"] and read["tracks"]["2"]["state"] == "ok" and read["masked_pan"] == "476173******0010"
    assert "4761739001010010" not in r.out
