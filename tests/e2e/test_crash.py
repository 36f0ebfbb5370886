"""SIGKILL a real `posterm` process at each dangerous step of a sale, restart, and check the books agree.

The process kills itself with a real SIGKILL at the named point (terminal/txn/crashpoints.py), which is as
abrupt as a power cut for everything above the kernel: no cleanup, no atexit, no Python-level flush.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from terminal.hostsim.rules import Rule
from terminal.iso8583 import decode
from terminal.store import Journal
from tests.fixtures.agreement import disagreements
from tests.fixtures.host import MAC_KEY, POSTERM, host_address, terminal_config

ROOT = Path(__file__).resolve().parents[2]


def run(args, data, crash_at=None, timeout=60):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("POSTERM_CRASH_AT", None)
    if crash_at:
        env["POSTERM_CRASH_AT"] = crash_at
    return subprocess.run(POSTERM + args + ["--data-dir", str(data)], env=env, capture_output=True, text=True,
                          timeout=timeout)


def wait_for(cond, what, deadline_s=20):
    end = time.monotonic() + deadline_s
    while not cond():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.02)


def mtis(host):
    return [decode(m, MAC_KEY).mti for m in host.received]


@pytest.mark.parametrize("point, host_saw", [
    ("after_write_ahead", []),
    ("after_send", ["0200"]),
    ("after_response", ["0200"]),
])
def test_crash_during_a_sale_is_reversed_on_restart(host_sim, tmp_path, point, host_saw):
    data = tmp_path / "data"
    r = run(["sale", "--reader", "emulated-swipe:magstripe", "4.56", "--host", host_address(host_sim)], data, crash_at=point)
    assert r.returncode == -signal.SIGKILL, r.stderr
    wait_for(lambda: mtis(host_sim) == host_saw, f"host to have seen {host_saw}")
    j = Journal(data / "journal.sqlite3")
    assert [t.state for t in j.txns()] == ["sending"]  # in doubt, exactly as the write-ahead rule says
    j.close()
    flush = run(["saf", "flush", "--host", host_address(host_sim)], data)
    assert flush.returncode == 0, flush.stdout + flush.stderr
    assert mtis(host_sim) == host_saw + ["0400"]
    j = Journal(data / "journal.sqlite3")
    [t] = j.txns()
    assert t.state == "reversed"
    assert "terminal restarted before the outcome was recorded" in " ".join(r for _, _, r in j.events(t.id))
    assert disagreements(j, host_sim.ledger) == []


@pytest.mark.parametrize("point, host_saw_reversal", [("saf_after_attempt", False), ("saf_after_send", True)])
def test_crash_mid_saf_resends_as_a_repeat(host_sim, tmp_path, point, host_saw_reversal):
    data = tmp_path / "data"
    cfg = terminal_config(tmp_path, host_sim)
    host_sim.rules += [Rule(mti="0200", silent=True, times=1), Rule(mti="0400", drop=True, times=1)]
    first = run(["sale", "--reader", "emulated-swipe:magstripe", "4.56", "--config", str(cfg)], data)
    assert first.returncode == 3
    assert mtis(host_sim) == ["0200", "0400"]  # the 0400 was lost on the way
    r = run(["saf", "flush", "--config", str(cfg)], data, crash_at=point)
    assert r.returncode == -signal.SIGKILL
    expected = ["0200", "0400"] + (["0401"] if host_saw_reversal else [])
    wait_for(lambda: mtis(host_sim) == expected, f"host to have seen {expected}")
    final = run(["saf", "flush", "--config", str(cfg)], data)
    assert final.returncode == 0, final.stdout + final.stderr
    assert mtis(host_sim) == expected + ["0401"]  # counted before sending, so the resend is a repeat
    stans = {decode(m, MAC_KEY).fields[11] for m in host_sim.received[1:]}
    assert len(stans) == 1  # every repeat keeps the reversal's STAN
    j = Journal(data / "journal.sqlite3")
    assert [t.state for t in j.txns()] == ["reversed"] and disagreements(j, host_sim.ledger) == []


def test_a_second_transacting_process_is_refused(host_sim, tmp_path):
    """Recovery reverses every in-flight row, so two processes must never transact on one journal."""
    data = tmp_path / "data"
    host_sim.rules.append(Rule(mti="0200", delay_s=3))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    slow = subprocess.Popen(POSTERM + ["sale", "--reader", "emulated-swipe:magstripe", "1.00", "--host", host_address(host_sim), "--data-dir", str(data)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: mtis(host_sim) == ["0200"], "the first sale to reach the host")
        second = run(["saf", "flush", "--host", host_address(host_sim)], data)
        assert second.returncode == 2 and "another posterm process is transacting" in second.stderr
    finally:
        slow.communicate(timeout=60)
    assert slow.returncode == 0


def test_crash_after_the_host_approved_a_chip_sale_is_reversed(host_sim, tmp_path):
    """The same write-ahead rule holds for a chip sale: the ARQC's approval is reversed after the restart."""
    data = tmp_path / "data"
    r = run(["sale", "4.56", "--reader", "emulated:visa", "--host", host_address(host_sim)], data,
            crash_at="after_response")
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert mtis(host_sim) == ["0200"] and host_sim.ledger.approvals()[0]["response_code"] == "00"
    flush = run(["saf", "flush", "--host", host_address(host_sim)], data)
    assert flush.returncode == 0
    rev = decode(host_sim.received[-1], MAC_KEY)
    assert rev.mti == "0400" and rev.fields[39] == "68" and rev.fields[22] == "051"
    j = Journal(data / "journal.sqlite3")
    assert [t.state for t in j.txns()] == ["reversed"] and disagreements(j, host_sim.ledger) == []
