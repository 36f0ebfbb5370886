"""Training mode never reaches the configured host and never touches the real journal.

The configured host is a real listening socket: after training sales (`posterm sale --training`, `posterm
run --training`) it must have seen no connection at all. The real data dir holds a real journal with a real
sale in it: its files must be byte-identical afterwards. Both checks fail on a terminal that ignores
--training (it would connect there and write there)."""
from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.host import MAC_KEY, terminal_config

POSTERM = str(Path(sys.executable).with_name("posterm"))


@pytest.fixture
def configured_host():
    """A listener at the configured host address that never accepts: a connect attempt shows in its queue."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def _connections(sock: socket.socket) -> int:
    n = 0
    while True:
        try:
            conn, _addr = sock.accept()
        except BlockingIOError:
            return n
        conn.close()
        n += 1


def _config(tmp_path: Path, port: int) -> str:
    cfg = tmp_path / "t.toml"
    cfg.write_text('[terminal]\nid = "TERM0001"\nmerchant_id = "MERCHANT0000001"\ncurrency = "156"\n'
                   f'[host]\naddress = "127.0.0.1:{port}"\ntimeout_s = 2\n'
                   f'[keys]\nmac_key = "{MAC_KEY.hex().upper()}"\n')
    cfg.chmod(0o600)
    return str(cfg)


def _files(d: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.iterdir()) if p.is_file()}


def test_training_sends_nothing_to_the_configured_host_and_leaves_the_real_journal(posterm, tmp_path, host_sim,
                                                                                  configured_host):
    data = tmp_path / "data"
    real = posterm("sale", "--reader", "emulated-swipe:magstripe", "1.00", "--json", "--config",
                   terminal_config(tmp_path, host_sim, name="real.toml"), data=data)
    assert real.json["outcome"] == "approved"
    before = _files(data)
    assert "journal.sqlite3" in before

    cfg = _config(tmp_path, configured_host.getsockname()[1])
    sale = posterm("sale", "--training", "--reader", "emulated:visa", "12.34", "--json", "--config", cfg, data=data)
    assert sale.code == 0, sale.err
    assert sale.json["outcome"] == "approved" and sale.json["training"] is True
    text = posterm("sale", "--training", "--reader", "emulated-swipe:magstripe", "2.00", "--config", cfg, data=data,
                   env={"LANG": "zh_CN.UTF-8"})
    assert text.out.splitlines()[0] == "*** 培训 ***" and text.out.count("*** 培训 - 非真实交易 ***") == 2
    run = subprocess.run([POSTERM, "run", "--training", "--reader", "emulated-swipe:magstripe", "--config", cfg,
                          "--data-dir", str(data), "--keys", "5,0,0,ENTER,ENTER,WAIT:1.5"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "+- TRAINING ---" in run.stdout and "*** TRAINING - NOT A PAYMENT ***" in run.stdout

    assert _connections(configured_host) == 0
    assert _files(data) == before
    listed = posterm("txn", "list", "--json", "--data-dir", str(data / "training"))
    assert [t["amount"] for t in listed.json["transactions"]] == [500, 200, 1234]
    assert [t["amount"] for t in posterm("txn", "list", "--json", data=data).json["transactions"]] == [100]


def test_without_training_the_same_sale_does_reach_the_configured_host(posterm, tmp_path, configured_host):
    """The listener does see a terminal that is not in training: the first test's zero means something."""
    cfg = _config(tmp_path, configured_host.getsockname()[1])
    r = posterm("sale", "--reader", "emulated-swipe:magstripe", "1.00", "--json", "--config", cfg)
    assert r.json["outcome"] != "approved" and "training" not in r.json
    assert _connections(configured_host) >= 1


def test_a_training_slip_reprinted_is_marked_and_comes_from_the_training_journal(posterm, tmp_path):
    sale = posterm("sale", "--training", "--reader", "emulated-swipe:magstripe", "4.00", "--json")
    assert sale.json["training"] is True
    again = posterm("receipt", str(sale.json["id"]), "--training", "--lang", "zh-CN")
    assert again.code == 0, again.err
    lines = again.out.splitlines()
    assert lines[0].strip() == lines[-1].strip() == "*** 培训 - 非真实交易 ***" and "重打印" in again.out
    assert posterm("receipt", str(sale.json["id"])).code == 2   # not in the real journal: no such slip there


def test_every_configured_address_is_replaced_backups_included(posterm, tmp_path):
    """[host] addresses: a primary and a backup, both listening; a training sale reaches neither."""
    listeners = []
    for _ in range(2):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        s.setblocking(False)
        listeners.append(s)
    try:
        cfg = tmp_path / "two.toml"
        addresses = ", ".join(f'"127.0.0.1:{s.getsockname()[1]}"' for s in listeners)
        cfg.write_text('[terminal]\nid = "TERM0001"\nmerchant_id = "MERCHANT0000001"\ncurrency = "156"\n'
                       f'[host]\naddresses = [{addresses}]\ntimeout_s = 2\n'
                       f'[keys]\nmac_key = "{MAC_KEY.hex().upper()}"\n')
        cfg.chmod(0o600)
        r = posterm("sale", "--training", "--reader", "emulated-swipe:magstripe", "1.00", "--json", "--config",
                    str(cfg))
        assert r.code == 0 and r.json["outcome"] == "approved", r.err
        assert [_connections(s) for s in listeners] == [0, 0]
    finally:
        for s in listeners:
            s.close()
