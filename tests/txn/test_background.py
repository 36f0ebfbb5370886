"""The long-running terminal's background drain: a real thread, its own SQLite connection and socket."""
from __future__ import annotations

import time
from dataclasses import replace

from terminal.config import Config
from terminal.hostsim.rules import Rule
from terminal.iso8583 import decode
from terminal.link.client import Endpoint, HostLink
from terminal.store import Journal
from terminal.txn.background import SafWorker
from terminal.txn.engine import Engine
from terminal.txn.records import CardInput
from tests.fixtures.host import MAC_KEY

SWIPE = CardInput(entry_mode="901", masked_pan="476173******0119", track2="4761739001010119=31121010000000000")


def test_pending_reversal_drains_between_sales(host_sim, tmp_path):
    cfg = Config()
    cfg = replace(cfg, host=replace(cfg.host, address=f"127.0.0.1:{host_sim.port}", timeout_s=1.0))
    path = tmp_path / "j.sqlite3"
    engine = Engine(cfg, Journal(path), HostLink(Endpoint("127.0.0.1", host_sim.port)))
    host_sim.rules += [Rule(mti="0200", silent=True, times=1), Rule(mti="0400", drop=True, times=1)]
    row, _ = engine.authorise("purchase", 500, SWIPE)
    entry = engine.journal.saf_pending()[0]
    # make the entry due now (its backoff would otherwise hold it for 5 s)
    engine.journal._conn.execute("UPDATE saf SET next_at=0 WHERE id=?", (entry.id,))
    worker = SafWorker(cfg, path, interval_s=0.05)
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while engine.journal.txn(row.id).state != "reversed":
            assert time.monotonic() < deadline, "the background worker never delivered the reversal"
            time.sleep(0.05)
    finally:
        worker.stop()
    assert [decode(m, MAC_KEY).mti for m in host_sim.received] == ["0200", "0400", "0401"]
    assert not worker.is_alive()
