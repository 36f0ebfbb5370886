"""I/O errors at every commit point, injected into a real `posterm` process with libfiu (Debian fiu-utils:
fiu-run's POSIX preload makes fsync/fdatasync, or SQLite's pwrite, fail with EIO once the fault is enabled).

The process is stopped at the named point just before the commit (POSTERM_PAUSE_AT, terminal/txn/crashpoints.py),
the fault is switched on through fiu-ctrl while it waits, then it goes on: the fault meets exactly that commit,
with no race against the process's speed. Then a restart without faults (`posterm saf flush`: recovery and
delivery): every transaction is all-or-nothing, nothing is lost, and the books agree exactly with the host's
ledger. Each case also checks what the failing process told the operator: one line, the truth, exit 3 (or 2
when nothing at all was sent), never a traceback.
"""
from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from terminal.hostsim.rules import Rule
from terminal.iso8583 import decode
from terminal.store import Journal
from tests.fixtures.agreement import disagreements
from tests.fixtures.host import MAC_KEY, POSTERM, terminal_config

# fiu-run comes from Debian's fiu-utils, which `make test` installs (Makefile DEB_PKGS): no skipping.

SWIPE = ("--reader", "emulated-swipe:magstripe")
CHIP = ("--reader", "emulated:visa")
FAULTS = {
    "fsync": "enable name=posix/io/sync/*,failinfo=5",     # EIO on the commit's fsync/fdatasync
    "write": "enable name=posix/io/rw/pwrite*,failinfo=5",  # EIO on the commit's write to the WAL
}
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Faulted:
    code: int
    out: str
    err: str


def paused_fault(tmp_path: Path, data: Path, args: tuple[str, ...], point: str, fault: str) -> Faulted:
    """Run posterm under fiu-run, stopped at `point`; switch `fault` on there, then let it go on."""
    ctrl, gate = tmp_path / "fiu-ctrl", tmp_path / f"gate-{point}"
    for leftover in (Path(f"{gate}.reached"), Path(f"{gate}.go")):
        leftover.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT), POSTERM_PAUSE_AT=f"{point}:{gate}")
    p = subprocess.Popen(["fiu-run", "-x", "-f", str(ctrl)] + POSTERM + list(args) + ["--data-dir", str(data)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 30
    while not Path(f"{gate}.reached").exists():
        assert p.poll() is None and time.monotonic() < deadline, f"{point} never reached: {p.communicate()}"
        time.sleep(0.002)
    r = subprocess.run(["fiu-ctrl", "-f", str(ctrl), "-c", fault, str(p.pid)], capture_output=True, text=True)
    assert r.returncode == 0 and "Error" not in r.stdout, r.stdout  # fiu-ctrl says 'Error' yet exits 0
    Path(f"{gate}.go").touch()
    out, err = p.communicate(timeout=60)
    return Faulted(p.returncode, out, err)


def received(host_sim, mti: str) -> int:
    return sum(decode(m, MAC_KEY).mti == mti for m in list(host_sim.received))


def restart(posterm, data: Path, cfg: str, host_sim) -> tuple[list[str], list[tuple[int, str]]]:
    """Start again with no fault: recovery and delivery; then compare the journal with the host's ledger."""
    r = posterm("saf", "flush", "--config", cfg, data=data)
    assert r.code in (0, 3) and "Traceback" not in r.err, r.err
    j = Journal(data / "journal.sqlite3")
    try:
        return disagreements(j, host_sim.ledger), [(t.id, str(t.state)) for t in j.txns(100)]
    finally:
        j.close()


def one_line(f: Faulted) -> str:
    assert "Traceback" not in f.err and f.err.count("\n") == 1, f.err
    return f.err


# -- the sale -----------------------------------------------------------------------------------------------

@pytest.fixture
def books(host_sim, posterm, tmp_path):
    """A journal with one approved sale in it (so a fault never meets an empty journal), and its config."""
    cfg = terminal_config(tmp_path, host_sim)
    data = tmp_path / "data"
    assert posterm("sale", "1.00", *SWIPE, "--config", cfg, data=data).code == 0
    return cfg, data


@pytest.mark.parametrize("fault", FAULTS)
def test_io_error_at_the_sale_write_ahead_sends_nothing(host_sim, posterm, tmp_path, books, fault):
    cfg, data = books
    f = paused_fault(tmp_path, data, ("sale", "2.00", *SWIPE, "--config", cfg), "before_write_ahead", FAULTS[fault])
    assert f.code == 3 and "nothing sent" in one_line(f) and "disk I/O error" in f.err, (f.code, f.err)
    assert received(host_sim, "0200") == 1  # the row was not committed, so the request never left
    problems, rows = restart(posterm, data, cfg, host_sim)
    assert problems == [] and rows == [(1, "approved")], rows


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("host", ["approves", "silent"])
def test_io_error_at_the_sale_outcome_is_reversed_at_restart(host_sim, posterm, tmp_path, books, fault, host):
    """The host approved (or never answered) but the outcome cannot be written: the operator is told the
    request went and the sale will be reversed; the restart reverses it and the host agrees."""
    cfg, data = books
    if host == "silent":
        host_sim.rules.append(Rule(mti="0200", silent=True, times=1))
    f = paused_fault(tmp_path, data, ("sale", "2.00", *SWIPE, "--config", cfg), "after_response", FAULTS[fault])
    line = one_line(f)
    assert f.code == 3 and "nothing recorded" not in line, line
    problems, rows = restart(posterm, data, cfg, host_sim)
    assert problems == [], rows
    [second] = [a for a in host_sim.ledger.approvals() if a["amount"] == 200] or [None]
    if "holds the outcome anyway (approved)" in line:  # an fsync error: the commit reached the file anyway
        assert fault == "fsync" and host == "approves" and rows == [(2, "approved"), (1, "approved")], rows
        assert second["reversed"] == 0
    elif "holds the outcome anyway (reversal_pending)" in line:  # ... and its reversal then went
        assert fault == "fsync" and host == "silent" and rows == [(2, "reversed"), (1, "approved")], rows
    else:                                               # what the operator was told is what the restart did
        assert "was sent" in line and "will be reversed" in line, line
        assert rows == [(2, "reversed"), (1, "approved")], rows
        assert second is None or second["reversed"] == 1
    if fault == "write":                                # a failed write leaves nothing behind: always reversed
        assert rows[0] == (2, "reversed"), rows


@pytest.mark.parametrize("fault", FAULTS)
def test_io_error_at_the_offline_approval_record_approves_nothing(host_sim, posterm, tmp_path, books, fault):
    """Host down, amount under the floor limit: the chip approves offline (Y1), and that approval with its
    advice is one commit. If it fails, nothing was sent and nothing is approved: the operator is told so."""
    cfg, data = books
    with open(cfg, "a") as f:
        f.write("[limits]\nfloor_limit = 5000\n")
    f = paused_fault(tmp_path, data, ("sale", "2.00", *CHIP, "--config", cfg, "--host", "127.0.0.1:9", "--json"),
                     "before_offline_record", FAULTS[fault])
    line = one_line(f)
    assert f.code == 3 and "APPROVED" not in f.out, (f.out, line)
    problems, rows = restart(posterm, data, cfg, host_sim)
    assert problems == [], rows
    if "holds the outcome anyway (advice_pending)" in line:  # an fsync error: the commit reached the file
        assert fault == "fsync" and rows == [(2, "offline_approved"), (1, "approved")], rows
    else:
        assert "not approved" in line and "customer not charged" in line, line
        assert rows == [(1, "approved")] and received(host_sim, "0220") == 0, rows


# -- store-and-forward --------------------------------------------------------------------------------------

@pytest.fixture
def pending_reversal(host_sim, posterm, tmp_path, books):
    cfg, data = books
    host_sim.rules.append(Rule(mti="0200", silent=True, times=1))
    host_sim.rules.append(Rule(mti="0400", drop=True, times=1))
    assert posterm("sale", "3.00", *SWIPE, "--config", cfg, data=data).code == 3  # reversal still pending
    assert received(host_sim, "0400") == 1
    return cfg, data


@pytest.mark.parametrize("fault", FAULTS)
def test_io_error_at_the_reversal_attempt_record_sends_nothing(host_sim, posterm, tmp_path, pending_reversal, fault):
    cfg, data = pending_reversal
    f = paused_fault(tmp_path, data, ("saf", "flush", "--config", cfg), "saf_before_attempt", FAULTS[fault])
    assert f.code in (2, 3) and "disk I/O error" in one_line(f), f.err
    assert received(host_sim, "0400") == 1  # no 0400 leaves without its attempt on disk
    problems, rows = restart(posterm, data, cfg, host_sim)
    assert problems == [] and rows == [(2, "reversed"), (1, "approved")], rows


@pytest.mark.parametrize("fault", FAULTS)
def test_io_error_at_the_reversal_delivered_record_repeats_it(host_sim, posterm, tmp_path, pending_reversal, fault):
    """The 0410 came back but its record failed: the restart sends the reversal again as a repeat (0401, same
    STAN), the host answers it as the one it already has, and the sale is reversed once."""
    cfg, data = pending_reversal
    f = paused_fault(tmp_path, data, ("saf", "flush", "--config", cfg), "saf_after_send", FAULTS[fault])
    assert f.code in (2, 3) and "disk I/O error" in one_line(f), f.err
    problems, rows = restart(posterm, data, cfg, host_sim)
    assert problems == [] and rows == [(2, "reversed"), (1, "approved")], rows
    mtis = [decode(m, MAC_KEY).mti for m in host_sim.received]
    assert mtis[:3] == ["0200", "0200", "0400"] and set(mtis[3:]) == {"0401"}, mtis  # repeats only, same STAN
    assert len({decode(m, MAC_KEY).fields[11] for m in host_sim.received[2:]}) == 1
    [third] = [a for a in host_sim.ledger.approvals() if a["amount"] == 300]
    assert third["reversed"] == 1


@pytest.mark.parametrize("fault", FAULTS)
def test_io_error_at_the_advice_delivered_record_repeats_it(host_sim, posterm, tmp_path, books, fault):
    cfg, data = books
    with open(cfg, "a") as f:
        f.write("[limits]\nfloor_limit = 5000\n")
    offline = posterm("sale", "2.00", *CHIP, "--config", cfg, "--host", "127.0.0.1:9", data=data)
    assert offline.code == 0, offline.err
    f = paused_fault(tmp_path, data, ("saf", "flush", "--config", cfg), "saf_after_send", FAULTS[fault])
    assert f.code in (2, 3) and "disk I/O error" in one_line(f), f.err
    problems, rows = restart(posterm, data, cfg, host_sim)
    assert problems == [] and rows == [(2, "offline_approved"), (1, "approved")], rows
    mtis = [decode(m, MAC_KEY).mti for m in host_sim.received]
    assert mtis[:2] == ["0200", "0220"] and set(mtis[2:]) <= {"0221"}, mtis  # after the first, repeats only
    if fault == "write":  # the delivered record never reached the file: the restart repeats the advice
        assert mtis[2:] == ["0221"], mtis
    assert sum(a["amount"] == 200 for a in host_sim.ledger.approvals()) == 1  # one charge, not two


# -- settlement ---------------------------------------------------------------------------------------------

def closed_batches(data: Path) -> list[dict]:
    j = Journal(data / "journal.sqlite3")
    try:
        return [s for s in j.settlements() if s["state"] == "closed"]
    finally:
        j.close()


@pytest.mark.parametrize("fault", FAULTS)
def test_io_error_at_the_settlement_write_ahead_sends_nothing(host_sim, posterm, tmp_path, books, fault):
    cfg, data = books
    f = paused_fault(tmp_path, data, ("settle", "--config", cfg), "settle_before_write_ahead", FAULTS[fault])
    assert f.code == 3 and "nothing sent" in one_line(f), f.err
    assert received(host_sim, "0500") == 0
    again = posterm("settle", "--config", cfg, data=data)
    assert again.code == 0, again.err
    assert [(s["batch"], s["debits_count"], s["debits_amount"]) for s in closed_batches(data)] == [(1, 1, 100)]


@pytest.mark.parametrize("fault", FAULTS)
def test_io_error_at_the_settlement_record_closes_once(host_sim, posterm, tmp_path, books, fault):
    """The host closed the batch (0510 00) but the record failed. An fsync error says nothing of the page cache,
    so the record may or may not be on disk: either way the restart leaves batch 1 closed exactly once, with
    its one sale, and the next batch open."""
    cfg, data = books
    f = paused_fault(tmp_path, data, ("settle", "--config", cfg), "settle_after_response", FAULTS[fault])
    line = one_line(f)
    assert f.code == 3 and "disk I/O error" in line and "settle again" in line, line
    again = posterm("settle", "--config", cfg, data=data)
    assert again.code == 0, again.err
    closed = closed_batches(data)
    assert [s["batch"] for s in closed] == list(range(1, len(closed) + 1)) and len(closed) in (1, 2)
    assert (closed[0]["debits_count"], closed[0]["debits_amount"]) == (1, 100)
    assert posterm("status", "--json", data=data).json["batch"] == len(closed) + 1
    assert posterm("journal", "check", data=data).code == 0
