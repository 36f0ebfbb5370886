"""I/O errors at every commit point, injected into a real `posterm` process with libfiu (Debian fiu-utils:
fiu-run's POSIX preload makes fdatasync, or SQLite's pwrite, fail with EIO from the moment the fault is
enabled, through fiu-ctrl, while the terminal waits at a known point). Then a restart without faults
(`posterm saf flush`: recovery and delivery): every transaction is all-or-nothing, nothing is lost, and the
books agree exactly with the host's ledger."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from terminal.hostsim.rules import Rule
from terminal.store import Journal
from tests.fixtures.agreement import disagreements
from tests.fixtures.host import POSTERM, terminal_config

# fiu-run comes from Debian's fiu-utils, which `make test` installs (Makefile DEB_PKGS): no skipping.

SWIPE = ("--reader", "emulated-swipe:magstripe")
SYNC = "enable name=posix/io/sync/fdatasync,failinfo=5"   # EIO on the commit's fsync
WRITE = "enable name=posix/io/rw/pwrite*,failinfo=5"       # EIO on the WAL write of the commit
ROOT = Path(__file__).resolve().parents[2]


def _cfg(tmp_path, host_sim):
    return terminal_config(tmp_path, host_sim)


def faulty(tmp_path, data, *args, at_start: str | None = None, when=None, fault: str | None = None):
    """Run posterm under fiu-run; the fault is on from the start, or enabled once `when()` holds."""
    ctrl = tmp_path / "fiu-ctrl"
    argv = ["fiu-run", "-x", "-f", str(ctrl)] + (["-c", at_start] if at_start else []) + POSTERM + list(args)
    argv += ["--data-dir", str(data)]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if when is not None:
        deadline = time.monotonic() + 20
        while not when() and time.monotonic() < deadline:
            time.sleep(0.002)
        subprocess.run(["fiu-ctrl", "-f", str(ctrl), "-c", fault, str(p.pid)], check=True)
    out, err = p.communicate(timeout=60)
    return p.returncode, out, err


def restart_and_compare(posterm, data, cfg, host_sim) -> tuple[list[str], list]:
    r = posterm("saf", "flush", "--config", cfg, data=data)
    assert r.code in (0, 3), r.err
    j = Journal(data / "journal.sqlite3")
    try:
        rows = [(t.id, str(t.state)) for t in j.txns(100)]
        return disagreements(j, host_sim.ledger), rows
    finally:
        j.close()


def received(host_sim, mti: str) -> int:
    from terminal.iso8583 import decode
    from tests.fixtures.host import MAC_KEY
    return sum(decode(m, MAC_KEY).mti == mti for m in list(host_sim.received))


SALE_POINTS = {
    # name: (host rule, fault from the start?, wait for this many 0200s before enabling)
    "write_ahead": (None, True),
    "outcome": (Rule(mti="0200", delay_s=0.4, times=1), False),
    "reversal_queued": (Rule(mti="0200", silent=True, times=1), False),
}


@pytest.mark.parametrize("point, fault", [(p, SYNC) for p in sorted(SALE_POINTS)] + [("write_ahead", WRITE)],
                         ids=[f"{p}-fsync" for p in sorted(SALE_POINTS)] + ["write_ahead-write"])
def test_io_error_at_each_commit_of_a_sale(host_sim, posterm, tmp_path, point, fault):
    cfg = _cfg(tmp_path, host_sim)
    data = tmp_path / "data"
    assert posterm("sale", "1.00", *SWIPE, "--config", cfg, data=data).code == 0
    rule, from_start = SALE_POINTS[point]
    if rule:
        host_sim.rules.append(rule)
    code, out, err = faulty(tmp_path, data, "sale", "2.00", *SWIPE, "--config", cfg,
                            at_start=fault if from_start else None,
                            when=None if from_start else (lambda: received(host_sim, "0200") >= 2), fault=fault)
    assert code in (2, 3) and "Traceback" not in err and err.count("\n") == 1, (code, err)
    if point == "write_ahead":
        assert received(host_sim, "0200") == 1  # the row was not committed: nothing sent
    problems, rows = restart_and_compare(posterm, data, cfg, host_sim)
    assert problems == [], rows
    assert rows[-1][0] == 1 or rows[-1][1] in ("approved", "reversed", "declined"), rows  # all or nothing


def test_io_error_at_each_store_and_forward_commit(host_sim, posterm, tmp_path):
    """The reversal's attempt commit (before the 0400 leaves) and its delivered record (after the 0410)."""
    cfg = _cfg(tmp_path, host_sim)
    data = tmp_path / "data"
    host_sim.rules += [Rule(mti="0200", silent=True, times=1), Rule(mti="0400", drop=True, times=1)]
    assert posterm("sale", "3.00", *SWIPE, "--config", cfg, data=data).code == 3  # reversal pending
    # the attempt: the first commit of `saf flush`
    code, _, err = faulty(tmp_path, data, "saf", "flush", "--config", cfg, at_start=SYNC)
    assert code in (2, 3) and "Traceback" not in err, err
    assert received(host_sim, "0400") == 1  # only the dropped one: no 0400 left without its attempt on disk
    # the delivered record: the fault comes on while the host holds the 0400
    host_sim.rules.append(Rule(mti="0400", delay_s=0.4, times=1))
    code, _, err = faulty(tmp_path, data, "saf", "flush", "--config", cfg,
                          when=lambda: received(host_sim, "0400") >= 2, fault=SYNC)
    assert "Traceback" not in err, err
    problems, rows = restart_and_compare(posterm, data, cfg, host_sim)
    assert problems == [] and rows == [(1, "reversed")], rows
    assert host_sim.ledger.approvals()[0]["reversed"] == 1


def test_io_error_at_each_settlement_commit(host_sim, posterm, tmp_path):
    cfg = _cfg(tmp_path, host_sim)
    data = tmp_path / "data"
    assert posterm("sale", "4.00", *SWIPE, "--config", cfg, data=data).code == 0
    code, _, err = faulty(tmp_path, data, "settle", "--config", cfg, at_start=SYNC)  # the 0500's write-ahead
    assert code in (2, 3) and "Traceback" not in err and received(host_sim, "0500") == 0, err
    host_sim.rules.append(Rule(mti="0500", delay_s=0.4, times=1))
    code, _, err = faulty(tmp_path, data, "settle", "--config", cfg,
                          when=lambda: received(host_sim, "0500") >= 1, fault=SYNC)  # the 0510's record
    assert "Traceback" not in err, err
    again = posterm("settle", "--config", cfg, "--json", data=data)  # restart: settles (again), in balance
    assert again.code == 0, again.err
    # the EIO'd record may or may not have reached the file (an fsync error says nothing of the page cache):
    # either the batch closed then (and this settle closed the empty next one) or it closes now; never twice
    status = posterm("status", "--json", data=data)
    closed = [s for s in Journal(data / "journal.sqlite3").settlements() if s["state"] == "closed"]
    assert status.json["batch"] == len(closed) + 1 and [s["batch"] for s in closed] == list(range(1, len(closed) + 1))
    assert closed[0]["debits_count"] == 1 and closed[0]["debits_amount"] == 400
    assert posterm("journal", "check", data=data).code == 0
