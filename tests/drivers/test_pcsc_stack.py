"""The private PC/SC stack itself (tests/fixtures/pcscd.py): real `posterm` processes against it, commands
inside its namespaces, and a teardown that leaves nothing behind."""
from __future__ import annotations

import json
import os

from drivers.emulated.testcards import T0_ATR, T1_ATR, TransportTestCard
from tests.fixtures.pcscd import POSTERM


def test_posterm_readers_subprocess_sees_the_private_stack(pcsc_stack):
    pcsc_stack.serve(TransportTestCard("T=1"), reader=1)
    result = pcsc_stack.run([POSTERM, "readers", "--json"])
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["pcsc_error"] is None
    assert report["pcsc_readers"] == [
        {"name": "Virtual PCD 00 00", "card_present": False, "atr": None},
        {"name": "Virtual PCD 00 01", "card_present": True, "atr": T1_ATR.hex().upper()},
    ]


def test_posterm_readers_text_output(pcsc_stack):
    pcsc_stack.serve(TransportTestCard("T=0"))
    result = pcsc_stack.run([POSTERM, "readers"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "PC/SC readers:",
        f"  Virtual PCD 00 00: card ATR {T0_ATR.hex().upper()} (T=0)",
        "  Virtual PCD 00 01: no card",
    ]


def test_posterm_readers_details_degrade_when_the_reader_reports_nothing(pcsc_stack):
    pcsc_stack.serve(TransportTestCard("T=1"), contactless=True)
    result = pcsc_stack.run([POSTERM, "readers", "--details"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "  Virtual PCD 00 00: card ATR 3B8F8001804F0CA0000003060300030000000068 (contactless)" in out
    assert "      note: reader reports no vendor, version or serial attributes" in out
    assert "      PC/SC contactless: ISO 14443 A part 3, card name 0003" in out


def test_posterm_readers_without_pcscd_exits_4_naming_the_fault(pcsc_stack):
    pcsc_stack.kill_pcscd()
    result = pcsc_stack.run([POSTERM, "readers", "--json"])
    assert result.returncode == 4
    assert json.loads(result.stdout)["pcsc_readers"] == []
    assert result.stderr.startswith("posterm: PC/SC: pcscd (the PC/SC daemon) is not running (0x8010001D)")


def test_a_command_inside_the_namespaces_finds_pcscd_at_its_default_path(pcsc_stack):
    pcsc_stack.serve(TransportTestCard("T=0"))
    listening = pcsc_stack.run(
        ["sh", "-c", "awk '$4 == \"0A\" && $2 ~ /:8C7[BC]$/' /proc/net/tcp | wc -l"], inside_namespaces=True
    )
    assert listening.stdout.strip() == "2"  # vpcd's ports 35963 and 35964 listen in the stack's namespace
    result = pcsc_stack.run([POSTERM, "readers", "--json"], inside_namespaces=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["pcsc_readers"][0]["atr"] == T0_ATR.hex().upper()


def test_stop_leaves_no_process_no_socket_no_directory(pcsc_stack_factory):
    stack = pcsc_stack_factory()
    supervisor_pid, pcscd_pid, base = stack.supervisor.pid, stack.pcscd_pid, stack.base_dir
    assert stack.socket_path.exists()
    listed = stack.run([POSTERM, "readers", "--json"])
    assert json.loads(listed.stdout)["pcsc_readers"][0]["name"] == "Virtual PCD 00 00"
    stack.stop()
    for pid in (supervisor_pid, pcscd_pid):
        assert not os.path.exists(f"/proc/{pid}"), f"process {pid} survived teardown"
    assert not base.exists()
    stack.stop()  # twice is harmless


def test_building_the_cli_does_not_import_pyscard_or_pyserial():
    import subprocess
    import sys

    code = ("import sys, terminal.cli.main as m; m.build_parser(); "
            "print(sorted(n for n in ('smartcard', 'serial') if n in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr
