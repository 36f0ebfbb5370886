"""A disk that fills after the 0200 has left, on a real small tmpfs filled at each commit point of a sale: the
reserve beside the journal is given back, so the outcome (or the reversal, queued and delivered by the same
process) is recorded, the JSON result printed, and the books agree with the host. The next sale is then
refused before anything is sent, with a message that says why."""
from __future__ import annotations

import os
import subprocess
import threading
import time

import pytest

from terminal.hostsim.rules import Rule
from tests.fixtures.disk import fill, small_tmpfs
from tests.fixtures.host import terminal_config

SWIPE = ("--reader", "emulated-swipe:magstripe")


def fill_when_host_has(host_sim, n: int, directory) -> threading.Thread:
    """Fill the disk the moment the host holds its n-th request: the terminal has sent and waits."""
    def watch():
        deadline = time.monotonic() + 20
        while len(host_sim.received) < n and time.monotonic() < deadline:
            time.sleep(0.005)
        fill(directory)
    t = threading.Thread(target=watch, daemon=True)
    t.start()
    return t


def _cfg(tmp_path, host_sim):
    return terminal_config(tmp_path, host_sim)


@pytest.mark.parametrize("point", ["outcome", "reversal"])
def test_disk_full_after_the_request_left_still_records_the_outcome(host_sim, posterm, tmp_path, point):
    cfg = _cfg(tmp_path, host_sim)
    with small_tmpfs(tmp_path / "small") as mnt:
        assert posterm("sale", "1.00", *SWIPE, "--config", cfg, data=mnt).code == 0  # journal and reserve made
        if point == "outcome":
            host_sim.rules.append(Rule(mti="0200", delay_s=0.5, times=1))  # approved, after the disk filled
        else:
            host_sim.rules.append(Rule(mti="0200", silent=True, times=1))  # no answer: reversal needed
        watcher = fill_when_host_has(host_sim, 2, mnt)
        r = posterm("sale", "2.00", *SWIPE, "--config", cfg, "--json", data=mnt)
        watcher.join()
        if point == "outcome":
            assert r.code == 0 and r.json["outcome"] == "approved", r.err
            assert [a["amount"] for a in host_sim.ledger.approvals() if not a["reversed"]] == [100, 200]
        else:
            assert r.code == 3 and r.json["outcome"] == "reversed", r.err
            assert [a["reversed"] for a in host_sim.ledger.approvals()] == [0, 1]
        assert "nothing recorded" not in r.err
        assert not (mnt / "journal.reserve").exists()  # it was given back to record the outcome
        # the books after restart agree with the host, and the full disk refuses the next sale before sending
        shown = posterm("txn", "show", "2", "--json", data=mnt)
        assert shown.json["state"] == ("approved" if point == "outcome" else "reversed")
        sent = len(host_sim.received)
        fill(mnt)  # what the exit's checkpoint gave back is taken too
        nxt = posterm("sale", "3.00", *SWIPE, "--config", cfg, "--json", data=mnt)
        assert nxt.code == 3 and "(the disk is full" in nxt.err and nxt.err.count("\n") == 1, nxt.err
        assert len(host_sim.received) == sent
        (mnt / "filler").unlink()  # space comes back: the reserve is made again and sales go on
        assert posterm("sale", "4.00", *SWIPE, "--config", cfg, data=mnt).code == 0
        assert (mnt / "journal.reserve").stat().st_size == 256 * 1024
