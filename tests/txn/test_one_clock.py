"""One clock for the message fields, the EMV data and the journal: a terminal whose clock is set to 1999 (a
ManualClock, far from the machine's) journals its sale at that time, sends fields 7/12/13 from it, and keeps its
store-and-forward deadlines on it. The host, the link and the journal file are real."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from terminal.config import Config
from terminal.iso8583 import decode
from terminal.link.client import Endpoint, HostLink
from terminal.store import Journal
from terminal.txn.clock import ManualClock
from terminal.txn.engine import Engine
from terminal.txn.records import CardInput
from tests.fixtures.host import MAC_KEY

SWIPE = CardInput(entry_mode="901", masked_pan="476173******0119", track2="4761739001010119=31121010000000000")
START = dt.datetime(1999, 12, 31, 23, 59, 50, tzinfo=dt.timezone.utc)


def test_the_journal_and_the_wire_read_the_one_injected_clock(host_sim, tmp_path):
    clock = ManualClock(START, utc_offset_h=8)   # Beijing: local date is already 2000-01-01
    cfg = replace(Config(), host=replace(Config().host, address=f"127.0.0.1:{host_sim.port}"))
    journal = Journal(tmp_path / "j.sqlite3", utc=lambda: clock.now().utc)
    engine = Engine(cfg, journal, HostLink(Endpoint("127.0.0.1", host_sim.port)), clock=clock)
    row, verdict = engine.authorise("purchase", 500, SWIPE)
    assert verdict.state == "approved"
    times = [at for at, _, _ in journal.events(row.id)]
    assert times and all(t.startswith("1999-12-31T23:59:50") for t in times), times
    [raw] = host_sim.received
    sent = decode(raw, MAC_KEY)
    assert sent.fields[7] == "1231235950"                       # UTC, from the injected clock
    assert (sent.fields[13], sent.fields[12]) == ("0101", "075950")   # local, the same instant
    assert row.local_time == dt.datetime(2000, 1, 1, 7, 59, 50)
    journal.close()
