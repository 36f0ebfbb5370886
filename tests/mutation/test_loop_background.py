"""The background store-and-forward worker of `posterm run` (terminal/txn/background.py): a real thread with its
own journal connection and its own socket to the in-process host simulator. It goes by the terminal's one clock,
it remembers why a drain failed and keeps going, and it is a daemon thread that shows by name."""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace

from terminal.config import Config
from terminal.store import Journal
from terminal.txn.background import SafWorker
from terminal.txn.clock import ManualClock


def config_for(host_sim) -> Config:
    cfg = Config()
    return replace(cfg, host=replace(cfg.host, address=f"127.0.0.1:{host_sim.port}", timeout_s=2.0))


def until(check, what: str):
    deadline = time.monotonic() + 20.0
    while not (got := check()):
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)
    return got


def test_a_fresh_worker_is_a_daemon_named_saf_drain_with_nothing_to_tell_yet(tmp_path):
    worker = SafWorker(Config(), tmp_path / "j.sqlite3")
    assert (worker.name, worker.daemon, worker.last_report, worker.last_error) == ("saf-drain", True, None, "")


def test_the_worker_goes_by_the_terminals_clock(host_sim, tmp_path):
    from terminal.txn.recovery import recover
    path = tmp_path / "j.sqlite3"
    clock = ManualClock(dt.datetime(2030, 6, 1, 1, 0, tzinfo=dt.timezone.utc))
    journal = Journal(path, utc=lambda: clock.now().utc)
    row = journal.begin(kind="purchase", proc_code="000000", amount=10, currency="156",
                        local_time=clock.now().local, transmitted="0601010000", entry_mode="901",
                        masked_pan="476173******0010", psn=None, original_id=None, tsc=None)
    recover(journal)
    journal.db.conn.execute("UPDATE saf SET next_at=?", (clock.now().epoch,))   # due now, by this clock only
    worker = SafWorker(config_for(host_sim), path, interval_s=0.01, clock=clock)
    worker.start()
    try:
        until(lambda: worker.last_report, "the first drain")   # due by this clock: the first drain delivered it
    finally:
        worker.stop()
    assert journal.txn(row.id).state == "reversed"
    assert journal.saf_pending() == []
    journal.close()


def test_a_drain_that_fails_is_remembered_and_the_worker_keeps_going(host_sim, tmp_path):
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    worker = SafWorker(config_for(host_sim), path, interval_s=0.01)
    worker.start()
    try:
        until(lambda: worker.last_report, "the first drain")
        journal.db.conn.execute("DROP TABLE saf")
        error = until(lambda: worker.last_error, "the failed drain")
        assert error.startswith(f"journal {path}: ") and "no such table: saf" in error
        assert worker.is_alive()
    finally:
        worker.stop()
    journal.close()
