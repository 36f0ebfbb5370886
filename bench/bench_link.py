"""The link on a bad network, each figure beside its anchor in the same run:

- pipelined store-and-forward (`[saf] window` 8) against the serial drain (window 1) of the same queue of
  reversals, both through the fault proxy adding 50 ms of round trip (25 ms each way) in front of the host
  simulator in its own process (budget: at least 6x the serial rate);
- failover from a dead primary, one that swallows connects (a listener with a full backlog: SYNs dropped),
  to the backup: from the request handed to the link to the answer in hand, beside the budget of
  `connect_timeout_s` + 100 ms; and from a primary that refuses (no budget: it should cost next to nothing).

    .venv/bin/python -m bench link
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.bench_txn import MAGSTRIPE_TRACK2, HostProcess, queue_reversals, timed_drain
from terminal.config import Config
from terminal.hostsim.faultproxy import Fault, FaultProxy
from terminal.iso8583 import encode
from terminal.iso8583.builders import field7
from terminal.link.client import Endpoint, HostLink
from terminal.link.failover import FailoverLink
from terminal.store import Journal
from terminal.txn.engine import Engine
from terminal.txn.exchange import Answered, Request, exchange
from terminal.txn.records import CardInput

QUEUE = 48
ADDED_RTT_S = 0.050
CONNECT_BUDGET_S = 1.0
ROUNDS = 3


def _queue(cfg: Config, tmp: Path, port: int) -> tuple[Journal, HostLink]:
    """A journal with QUEUE approved sales, each with its reversal queued (set up without the added delay)."""
    journal = Journal(tmp / "j.sqlite3")
    link = HostLink(Endpoint("127.0.0.1", port))
    card = CardInput(entry_mode="901", masked_pan="476173******0010", track2=MAGSTRIPE_TRACK2)
    queue_reversals(Engine(cfg, journal, link), QUEUE, card)
    link.close()
    return journal, link


def drain_rate(tmp: Path, host_port: int, tid: str, window: int) -> float:
    """Messages per second of one drain of QUEUE reversals through 50 ms of added round trip."""
    with FaultProxy(host_port, seed=1) as proxy:
        cfg = Config()
        cfg = replace(cfg, host=replace(cfg.host, address=proxy.address), terminal=replace(cfg.terminal, id=tid),
                      saf=replace(cfg.saf, window=window))
        journal, link = _queue(cfg, tmp, proxy.port)
        for direction in ("request", "response"):
            proxy.add(Fault("delay", direction, times=None, seconds=ADDED_RTT_S / 2))
        elapsed = timed_drain(cfg, journal, link, QUEUE)
    return QUEUE / elapsed


def _syn_sink() -> tuple[socket.socket, socket.socket, str]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    filler = socket.create_connection(srv.getsockname())
    return srv, filler, f"127.0.0.1:{srv.getsockname()[1]}"


def _closed_port() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"127.0.0.1:{port}"


def failover_s(dead: str, backup_port: int, n: int = 5) -> float:
    """Median time of an echo (0800/301) through a fresh FailoverLink whose primary is `dead`."""
    key = Config().keys.mac_key
    times = []
    for i in range(n):
        link = FailoverLink([Endpoint.parse(dead, connect_timeout_s=CONNECT_BUDGET_S),
                             Endpoint("127.0.0.1", backup_port, connect_timeout_s=CONNECT_BUDGET_S)])
        stan = f"{900000 + i:06d}"
        fields = {7: field7(dt.datetime.now(dt.timezone.utc)), 11: stan, 41: "BENCH001", 70: "301"}
        request = Request("0800", stan, encode("0800", fields, key))
        t0 = time.perf_counter()
        reply = exchange(link, request, key, 5.0)
        times.append(time.perf_counter() - t0)
        assert isinstance(reply, Answered), reply
        assert link.status().state == "backup"
        link.close()
    return statistics.median(times)


def main() -> dict:
    host = HostProcess()
    tmp = Path(tempfile.mkdtemp(prefix="posterm-bench-link-", dir=os.environ.get("POSTERM_BENCH_DIR")))
    srv, filler, sink = _syn_sink()
    try:
        rounds = []  # serial and pipelined interleaved, three rounds, medians: this machine is shared
        for i in range(ROUNDS):
            serial = drain_rate(tmp / f"s{i}", host.port, f"SER{i:05d}", window=1)
            piped = drain_rate(tmp / f"p{i}", host.port, f"PIP{i:05d}", window=8)
            rounds.append((serial, piped))
        serial, piped = (statistics.median(x) for x in zip(*rounds))
        swallowed = failover_s(sink, host.port)
        refused = failover_s(_closed_port(), host.port)
    finally:
        filler.close()
        srv.close()
        host.close()
        shutil.rmtree(tmp, ignore_errors=True)
    ratio = piped / serial
    budget = CONNECT_BUDGET_S + 0.100
    print(f"link: {QUEUE} reversals through the fault proxy adding {ADDED_RTT_S * 1e3:.0f} ms of round trip")
    print(f"  serial drain (window 1)              {serial:8.1f} msg/s  (the anchor)")
    print(f"  pipelined drain (window 8)           {piped:8.1f} msg/s")
    print(f"  ratio                                {ratio:8.2f}x       (budget >= 6x: "
          f"{'within' if ratio >= 6 else 'UNDER'})")
    print(f"failover to the backup, connect_timeout_s = {CONNECT_BUDGET_S:g} s, echo answered")
    print(f"  primary swallows connects            {swallowed * 1e3:8.1f} ms     (budget connect_timeout_s + 100 ms"
          f" = {budget * 1e3:.0f} ms: {'within' if swallowed <= budget else 'OVER'})")
    print(f"  primary refuses                      {refused * 1e3:8.1f} ms")
    return {"serial_rate": serial, "pipelined_rate": piped, "ratio": ratio, "failover_ms": swallowed * 1e3,
            "refused_failover_ms": refused * 1e3}


if __name__ == "__main__":
    main()
