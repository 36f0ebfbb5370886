"""The duplicate-charge guard and the alerts on the operator's screen: a real `posterm run` in a real terminal
(tmux, tests/fixtures/tmux.py), keys typed with send-keys, against the host simulator on loopback."""
from __future__ import annotations

import sys
from pathlib import Path

from terminal.iso8583 import decode
from tests.fixtures.host import MAC_KEY, terminal_config

POSTERM = str(Path(sys.executable).with_name("posterm"))


def test_run_asks_before_a_second_charge_defaults_to_no_and_shows_the_alert_on_ready(tmux, host_sim, tmp_path):
    cfg = terminal_config(tmp_path, host_sim, timeout_s=5)
    tmux.keys(f"{POSTERM} run --reader emulated-swipe:magstripe --config {cfg} --data-dir {tmp_path / 'data'};"
              " echo EXIT=$?", "Enter")
    tmux.wait_for("READY", "Key in the amount")
    tmux.keys("1", "2", "3", "Enter", "Enter")
    tmux.wait_for("APPROVED", "CNY 1.23")
    tmux.keys("Enter")
    tmux.wait_for("READY", "Key in the amount")

    tmux.keys("1", "2", "3", "Enter", "Enter")                 # the same card for the same amount
    # the whole question, the first sale named by its STAN (checked against the wire below)
    asked = tmux.wait_for("SAME CARD, SAME AMOUNT", "APPROVED", ", STAN 0", "charge again? ENTER=yes other=no")
    tmux.keys("5")                                            # any key but ENTER: no
    tmux.wait_for("NOT APPROVED", "NOT CHARGED AGAIN")
    tmux.keys("Enter")
    tmux.wait_for("READY", "1 ALERT(S): see posterm alerts")

    tmux.keys("1", "2", "3", "Enter", "Enter")
    tmux.wait_for("SAME CARD, SAME AMOUNT")
    tmux.keys("Enter")                                        # yes: charged again, the confirmation journaled
    tmux.wait_for("APPROVED", "CNY 1.23", absent="SAME CARD")
    tmux.keys("Enter")
    tmux.wait_for("READY", "2 ALERT(S): see posterm alerts")
    tmux.keys("C-c")
    tmux.wait_for("EXIT=0")
    sent = [decode(m, MAC_KEY) for m in host_sim.received if decode(m, MAC_KEY).mti == "0200"]
    assert len(sent) == 2 and f"STAN {sent[0].fields[11]}" in asked
