"""`posterm sale` with [host] addresses: the primary refuses, the backup approves, and `txn show` names the
address that carried the 0200. `--host` still overrides every address."""
from __future__ import annotations

import socket

from tests.fixtures.host import host_address, terminal_config


def _closed_port() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()   # nothing listens here: connects are refused
    return f"127.0.0.1:{port}"


def test_sale_fails_over_to_the_backup_and_txn_show_names_it(host_sim, posterm, tmp_path):
    dead, backup = _closed_port(), host_address(host_sim)
    cfg = terminal_config(tmp_path, host_sim)
    text = open(cfg).read().replace(f'address = "{backup}"', f'addresses = ["{dead}", "{backup}"]')
    open(cfg, "w").write(text)
    r = posterm("sale", "--reader", "emulated-swipe:magstripe", "12.34", "--config", cfg, "--json")
    assert r.code == 0 and r.json["outcome"] == "approved", r.err
    shown = posterm("txn", "show", str(r.json["id"]), "--config", cfg)
    assert f"0200 STAN {r.json['stan']:06d} via {backup}" in shown.out
    js = posterm("txn", "show", str(r.json["id"]), "--config", cfg, "--json").json
    assert [(m["mti"], m["address"]) for m in js["messages"]] == [("0200", backup)]
    # --host overrides both addresses: the dead one alone sends nothing
    r = posterm("sale", "--reader", "emulated-swipe:magstripe", "1.00", "--config", cfg, "--host", dead, "--json")
    assert r.code == 3 and r.json["outcome"] == "not_sent"
