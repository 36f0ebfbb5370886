"""`posterm run` on a real terminal (tmux) with two host addresses: the READY screen shows the link (online, on
backup, offline since HH:MM) and the store-and-forward backlog, kept true by an echo (0800/301) after
[host] echo_interval_s idle seconds. The hosts are two simulators of one acquirer behind fault proxies."""
from __future__ import annotations

import sys
from pathlib import Path

from terminal.hostsim.faultproxy import Fault
from terminal.iso8583 import decode
from tests.fixtures.faultproxy import TEST_MAC_KEY

POSTERM = str(Path(sys.executable).with_name("posterm"))


def _config(tmp_path, two_hosts) -> Path:
    primary, backup = two_hosts.addresses
    cfg = tmp_path / "posterm.toml"
    cfg.write_text('[terminal]\nid = "TERM0001"\nmerchant_id = "MERCHANT0000001"\ncurrency = "156"\n'
                   f'[host]\naddresses = ["{primary}", "{backup}"]\ntimeout_s = 1\nconnect_timeout_s = 1\n'
                   'echo_interval_s = 1\n'
                   f'[keys]\nmac_key = "{TEST_MAC_KEY.hex().upper()}"\n[keypad]\nresult_timeout_s = 1\n')
    cfg.chmod(0o600)
    return cfg


def _down(side) -> None:
    """The address dies: no new connection, and the one the terminal holds goes silent."""
    side.proxy.refuse()
    side.proxy.blackhole(3.0)


def _echoes(host) -> int:
    return sum(decode(m, TEST_MAC_KEY).mti == "0800" for m in host.received)


def test_the_ready_screen_follows_the_link_and_the_backlog(tmux, tmp_path, two_hosts):
    cfg = _config(tmp_path, two_hosts)
    tmux.keys(f"{POSTERM} run --reader emulated-swipe:magstripe --config {cfg} --data-dir {tmp_path / 'data'}",
              "Enter")
    tmux.wait_for("READY", "Key in the amount", "link: online · nothing to send")
    assert _echoes(two_hosts.primary.host) >= 1   # the echo at start told it, before any sale

    _down(two_hosts.primary)                       # the primary dies: an echo finds the backup
    tmux.wait_for("READY", "link: on backup · nothing to send")
    _down(two_hosts.backup)                        # and then the backup
    tmux.wait_for("READY", "link: offline since ", "· nothing to send")

    for side in (two_hosts.primary, two_hosts.backup):   # both take requests and never answer
        side.proxy.reopen()
        side.proxy.add(Fault("drop", "response", times=None))
    tmux.keys("1", "0", "0", "Enter", "Enter")     # a sale: no answer, reversed, and the reversal not answered
    tmux.wait_for("NO RESPONSE")
    shown = tmux.wait_for("READY", "link: offline since ", "· 1 to send")
    assert "Key in the amount" in shown

    for side in (two_hosts.primary, two_hosts.backup):   # the link heals: the backlog drains by itself
        side.proxy.clear_faults()
    tmux.wait_for("READY", "link: online · nothing to send")
    tmux.keys("C-c")


def test_the_link_line_in_chinese(tmux, tmp_path, two_hosts):
    cfg = _config(tmp_path, two_hosts)
    two_hosts.primary.proxy.refuse()
    tmux.keys(f"{POSTERM} run --lang zh-CN --reader emulated-swipe:magstripe --config {cfg}"
              f" --data-dir {tmp_path / 'data'}", "Enter")
    tmux.wait_for("线路: 备用主机 · 无待发")
    tmux.keys("C-c")
