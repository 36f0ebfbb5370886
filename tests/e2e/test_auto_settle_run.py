"""`posterm run` settles by itself at `[settlement] auto_at`, seen as the operator sees it: a real posterm in a real
terminal (tmux), against the host simulator on loopback, with the terminal's clock set to just before 23:30.

The clock is set the way a terminal's is, through its time zone: a POSIX TZ with an offset to the second
("POS-05:12:34") puts the machine's real clock at 23:29:40 local, so the real process runs on its real clocks and
reaches 23:30 twenty seconds later. The host refuses the first 0500 (96): the READY screen says the settlement
will be retried, and the retry closes the batch and prints the slip."""
from __future__ import annotations

import time

from terminal.hostsim.rules import Rule
from terminal.iso8583 import decode
from tests.fixtures.host import MAC_KEY, host_address
from tests.keypad.test_posterm_run import POSTERM


def _tz_for_local(hh: int, mm: int, ss: int) -> str:
    """A POSIX TZ under which the local time is now hh:mm:ss."""
    now = int(time.time()) % 86400
    east = (hh * 3600 + mm * 60 + ss - now) % 86400
    sign, off = ("-", east) if east <= 43200 else ("+", 86400 - east)   # POSIX offsets count west of Greenwich
    return f"POS{sign}{off // 3600:02d}:{off % 3600 // 60:02d}:{off % 60:02d}"


def _financial(host_sim) -> list[str]:
    """The MTIs the host received, without the READY screen's echoes (0800, terminal/txn/link_watch.py)."""
    return [m for m in (decode(raw, MAC_KEY).mti for raw in host_sim.received) if m != "0800"]


def test_run_settles_at_the_set_time_and_retries_after_a_host_failure(tmux, host_sim, tmp_path):
    """`tmux`: tests/fixtures/tmux.py."""
    config = tmp_path / "posterm.toml"
    config.write_text('[terminal]\nid = "TERM0001"\nmerchant_id = "MERCHANT0000001"\ncurrency = "156"\n'
                      f'[host]\naddress = "{host_address(host_sim)}"\ntimeout_s = 2\n'
                      '[keys]\nmac_key = "00112233445566778899AABBCCDDEEFF"\n'
                      '[merchant]\nsettlement_note = "T+1: funds reach your account the next working day"\n'
                      '[settlement]\nauto_at = "23:30"\nretry_s = 3\n')
    config.chmod(0o600)
    host_sim.rules.append(Rule(mti="0500", code="96", times=1))
    tz = _tz_for_local(23, 29, 40)
    base = f"--config {config} --data-dir {tmp_path / 'data'}"
    tmux.keys(f"export TZ={tz}; {POSTERM} sale 12.34 --reader emulated-swipe:magstripe {base} >/dev/null;"
              f" {POSTERM} run --reader emulated-swipe:magstripe {base}; echo EXIT=$?", "Enter")
    tmux.wait_for("READY", "Key in the amount")
    assert _financial(host_sim) == ["0200"]   # nothing before 23:30

    shown = tmux.wait_for("READY", "NOT SETTLED, retry 23:30:0")   # 23:30: the host refused (96)
    assert "Key in the amount" in shown and "SETTLEMENT" not in shown.split("+")[-1]   # no slip for a refusal
    shown = tmux.wait_for("READY", "BATCH 000001 CLOSED", absent="NOT SETTLED")   # the retry, 3 s later
    for line in ("SALES               1  CNY 12.34", "VISA                1  CNY 12.34", "HOST: 00 approved",
                 "T+1: funds reach your account", "the next working day"):
        assert line in shown, shown
    assert "DATE/TIME    " in shown and " 23:30:0" in shown
    assert _financial(host_sim) == ["0200", "0500", "0500"]

    tmux.keys("C-c")
    tmux.wait_for("EXIT=0")
    assert _financial(host_sim) == ["0200", "0500", "0500"]   # once
