"""The chip's slip lines (AID, label, 9F26/9F27, TVR, TSI, CVM) are journaled at the end of a chip sale, in a
real process against the host simulator, without an fsync of their own: an approved chip sale still costs two
(the write-ahead row and the host's answer), counted with strace as bench/bench_txn.py counts them."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from terminal.store import Journal
from tests.fixtures.host import host_address

ROOT = Path(__file__).resolve().parents[2]

CHIP_SALES = """
import os, sys
from dataclasses import replace
from terminal.cli.reader_spec import parse_reader
from terminal.cli.sale_session import card_source, emulated_pinpad
from terminal.config import Config
from terminal.link.client import Endpoint, HostLink
from terminal.store import Journal
from terminal.txn.loop import Driver
host, port = sys.argv[1].rsplit(":", 1)
cfg = Config()
cfg = replace(cfg, host=replace(cfg.host, address=sys.argv[1]))
journal = Journal(sys.argv[2])
driver = Driver(cfg, journal, HostLink(Endpoint(host, int(port))))
spec = parse_reader("emulated:visa")
def sale(amount):
    return driver.sale("purchase", amount, card_source(spec), pinpad=emulated_pinpad(cfg, spec, None))
sale(1000)                   # warm: the WAL and the identity file exist from here on
os.write(1, b"MARK\\n")
result = sale(1234)          # another amount: the same card and amount again would ask "charge again?"
os.write(1, b"MARK\\n")
print(result.outcome, result.id)
os._exit(0)
"""


def test_a_chip_sale_keeps_its_slip_lines_and_still_costs_two_fsyncs(host_sim, tmp_path):
    trace, path = tmp_path / "trace.txt", tmp_path / "journal.sqlite3"
    out = subprocess.run(["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync,write", "-o", str(trace),
                          sys.executable, "-c", CHIP_SALES, host_address(host_sim), str(path)],
                         check=True, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    outcome, txn_id = out.stdout.split()[-2:]
    assert outcome == "approved"
    lines = [line for line in trace.read_text().splitlines() if "sync(" in line or "MARK" in line]
    marks = [i for i, line in enumerate(lines) if "MARK" in line]
    assert marks[1] - marks[0] - 1 == 2, lines
    journal = Journal(path)
    try:
        chip = journal.chip(int(txn_id))
        assert chip is not None and not chip.contactless
        assert (chip.aid, chip.label, chip.cid, chip.cryptogram_type, chip.cvm) == (
            "A0000000031010", "VISA CREDIT", "40", "TC", "offline_pin")
        assert len(chip.cryptogram) == 16 and int(chip.cryptogram, 16) != 0
        assert len(chip.tvr) == 10 and len(chip.tsi) == 4 and chip.tsi != "0000"
        assert journal.chip(1) is not None and journal.chip(1).cryptogram != chip.cryptogram  # each sale its own
    finally:
        journal.close()


def test_a_swipe_keeps_no_chip_lines(host_sim, posterm):
    r = posterm("sale", "--reader", "emulated-swipe:magstripe", "1.00", "--host", host_address(host_sim), "--json")
    assert r.code == 0, r.err
    journal = Journal(posterm.data_dir / "journal.sqlite3")
    try:
        assert journal.chip(r.json["id"]) is None
    finally:
        journal.close()
