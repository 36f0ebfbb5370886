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


def test_run_asks_the_supervisor_pin_and_says_why(tmux, host_sim, tmp_path):
    from terminal.risk.supervisor import hash_pin
    cfg = Path(terminal_config(tmp_path, host_sim, timeout_s=5))
    cfg.write_text(cfg.read_text() + f'[risk]\namount_alert = 10000\nsupervisor_pin_hash = "{hash_pin("958371")}"\n')
    data = tmp_path / "data"
    tmux.keys(f"{POSTERM} run --reader emulated-swipe:magstripe --config {cfg} --data-dir {data}; echo EXIT=$?",
              "Enter")
    tmux.wait_for("READY", "Key in the amount")
    tmux.keys("1", "5", "0", "0", "0", "Enter", "Enter")       # 150.00, above the alert level of 100.00
    tmux.wait_for("SUPERVISOR PIN", "AMOUNT ABOVE ALERT LEVEL")
    tmux.keys("9", "5", "8", "3", "7", "1")
    shown = tmux.wait_for("SUPERVISOR PIN", "******")
    assert "958371" not in shown                                # masked as typed
    tmux.keys("Enter")
    tmux.wait_for("APPROVED", "CNY 150.00")
    tmux.keys("Enter")
    tmux.wait_for("READY", "1 ALERT(S): see posterm alerts")
    tmux.keys("C-c")
    tmux.wait_for("EXIT=0")
    blob = b"".join(p.read_bytes() for p in data.iterdir() if p.is_file())
    assert b"958371" not in blob                              # nor anywhere in the journal's files
