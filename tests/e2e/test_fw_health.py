"""`posterm echo` and `posterm health --json` against the host simulator on a real socket, then with it stopped."""
from __future__ import annotations

from terminal.iso8583 import decode
from tests.fixtures.host import MAC_KEY, host_address


def test_health_and_echo_with_the_host_up_then_down(posterm, host_sim):
    address = host_address(host_sim)
    r = posterm("echo", "--host", address, "--json")
    assert r.code == 0, r.err
    assert r.json["status"] == "ok" and r.json["rtt_ms"] > 0 and abs(r.json["skew_s"]) <= 60
    [echo] = [decode(m, MAC_KEY) for m in host_sim.received]
    assert (echo.mti, echo.fields[70]) == ("0800", "301")

    up = posterm("health", "--host", address, "--json")
    assert up.code == 0, up.out + up.err
    checks = {c["name"]: c for c in up.json["checks"]}
    assert {"pcsc", "host", "clock", "disk", "saf", "batch", "keys", "journal", "config"} <= set(checks)
    assert all(checks[n]["status"] == "ok" for n in ("host", "clock", "disk", "saf", "keys", "journal"))
    assert checks["keys"]["kcv"]["mac_key"] and up.json["status"] in ("ok", "warn")

    host_sim.shutdown()
    host_sim.server_close()
    down = posterm("health", "--host", address, "--json")
    assert down.code == 1 and down.json["status"] == "fail"
    host = {c["name"]: c for c in down.json["checks"]}["host"]
    assert host["status"] == "fail" and "not sent" in host["message"]
    assert posterm("echo", "--host", address).code == 4
