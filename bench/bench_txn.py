"""Transaction engine figures, each beside its anchor measured in the same run:

- fsyncs (counted with strace) per approved sale in a running terminal (journal open, as in `posterm run`),
  beside the budget of DESIGN.md (3 for a whole EMV sale); and for a one-shot `posterm sale` process, which
  also pays for creating the WAL file at open and checkpointing it at exit;
- store-and-forward drain rate (the serial drain, `[saf] window` 1; the pipelined one is bench_link's) to the
  loopback host simulator, beside the limit set by one raw fsync on the
  same disk plus one round trip per message (budget: at least half that rate). The round trip is a ready-made
  0400 sent to the same host simulator process and its 0410 read back, the host doing the same work as for the
  drained reversals (find the original, mark it reversed): the host's own processing is part of every round
  trip and no terminal can beat it. The round trip as the drain lives it (which now overlaps building the next
  message) and a bare TCP echo are printed too, for scale.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from drivers.emulated.msr_tracks import test_card
from terminal.config import Config
from terminal.link.client import Endpoint, HostLink
from terminal.link.framing import frame
from terminal.store import Journal

ROOT = Path(__file__).resolve().parents[1]
MAGSTRIPE_TRACK2 = test_card("magstripe").track2()[1:-1]  # field 35 form: no sentinels


IN_PROCESS_SALES = """
import sys
from dataclasses import replace
from terminal.config import Config
from terminal.link.client import Endpoint, HostLink
from terminal.store import Journal
from terminal.txn.engine import Engine
from terminal.txn.records import CardInput
cfg = Config()
cfg = replace(cfg, host=replace(cfg.host, address="127.0.0.1:" + sys.argv[1]))
engine = Engine(cfg, Journal(sys.argv[2]), HostLink(Endpoint("127.0.0.1", int(sys.argv[1]))))
from drivers.emulated.msr_tracks import test_card
card = CardInput(entry_mode="901", masked_pan="476173******0010", track2=test_card("magstripe").track2()[1:-1])
engine.authorise("purchase", 100, card)  # warm: the WAL file exists from here on
print("MARK", flush=True)
for i in range(20):   # another amount each time: the same card and amount again is the duplicate guard's case
    assert engine.authorise("purchase", 101 + i, card)[1].state == "approved"
print("MARK", flush=True)
import os; os._exit(0)  # skip the exit checkpoint: it is counted in the one-shot figure
"""


def _fsyncs(trace: Path) -> list[str]:
    return [line for line in trace.read_text().splitlines() if "fsync(" in line or "fdatasync(" in line
            or "MARK" in line]


def fsyncs_per_sale(tmp: Path, port: int) -> tuple[float, int] | None:
    """(per sale in a running terminal, per one-shot `posterm sale` process)."""
    if not shutil.which("strace"):
        print("  (strace not installed: apt-get install strace)")
        return None
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = tmp / "strace-inproc.txt"
    subprocess.run(["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync,write", "-o", str(out), sys.executable, "-c",
                    IN_PROCESS_SALES, str(port), str(tmp / "inproc.sqlite3")], check=True, capture_output=True,
                   env=env)
    lines = _fsyncs(out)
    marks = [i for i, line in enumerate(lines) if "MARK" in line]
    steady = sum(1 for line in lines[marks[0]:marks[1]] if "sync(" in line) / 20
    counts = []
    for i in range(3):
        out = tmp / f"strace-{i}.txt"
        subprocess.run(["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync", "-o", str(out), sys.executable, "-m",
                        "terminal.cli.main", "sale", "--reader", "emulated-swipe:magstripe", f"1.0{i}", "--host",
                        f"127.0.0.1:{port}",
                        "--data-dir", str(tmp / "fs")], check=True, capture_output=True, env=env)
        counts.append(len(_fsyncs(out)))
    return steady, int(statistics.median(counts))


def raw_fsync_s(tmp: Path, n: int = 200) -> float:
    """One write appended and fsynced, as a journal commit appends to its WAL. A fresh file each call: reopening
    the same one wrote at offset 0 again, and fsyncs of overwrites (no size change) came out up to 15x cheaper
    than any commit can be, so the anchor swung between runs."""
    probe = tmp / "fsync-probe"
    probe.unlink(missing_ok=True)
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    times = []
    for _ in range(n):
        os.write(fd, b"x" * 100)
        t0 = time.perf_counter()
        os.fsync(fd)
        times.append(time.perf_counter() - t0)
    os.close(fd)
    return statistics.median(times)


def loopback_rtt_s(n: int = 2000) -> float:
    """A bare framed echo over loopback TCP: the cheapest round trip a message could make."""
    srv = socket.create_server(("127.0.0.1", 0))
    port = srv.getsockname()[1]
    import threading

    def echo():
        conn, _ = srv.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while data := conn.recv(65536):
            conn.sendall(data)
    threading.Thread(target=echo, daemon=True).start()
    c = socket.create_connection(("127.0.0.1", port))
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    msg = frame(b"0400" + bytes(150))
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        c.sendall(msg)
        got = 0
        while got < len(msg):
            got += len(c.recv(65536))
        times.append(time.perf_counter() - t0)
    c.close()
    srv.close()
    return statistics.median(times)


def host_rtt_s(port: int, tid: str, n: int = 300) -> float:
    """Ready-made 0400s to the host simulator and their 0410s back, with no terminal work around them. Their
    originals are sent first (untimed), so the host does the same work as for the drained reversals: find the
    original, mark it reversed."""
    from terminal.iso8583 import encode
    from terminal.iso8583.builders import Original, Terminal, request_0200, reversal_0400
    key = Config().keys.mac_key
    t = Terminal(tid, "MERCHANT0000001", "156")
    local = dt.datetime(2026, 11, 25, 12)
    originals = [Original("000000", 100, i + 1, local + dt.timedelta(seconds=i), "901", 1, "1125120000")
                 for i in range(n)]
    c = socket.create_connection(("127.0.0.1", port))
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def exchange(wire: bytes) -> None:
        c.sendall(wire)
        need = int.from_bytes(c.recv(2), "big")
        while need:
            need -= len(c.recv(need))

    for o in originals:
        exchange(frame(encode("0200", request_0200(t, o, local, track2=MAGSTRIPE_TRACK2), key)))
    wires = [frame(encode("0400", reversal_0400(t, o, local, stan=o.stan + n, reason="68"), key)) for o in originals]
    times = []
    for w in wires:
        t0 = time.perf_counter()
        exchange(w)
        times.append(time.perf_counter() - t0)
    c.close()
    return statistics.median(times)


class TimedLink(HostLink):
    """The real link, timing each round trip as its user lives it: from handing the request to the socket
    to holding the response frame."""

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(endpoint)
        self.round_trips: list[float] = []
        self._t0 = 0.0

    def send(self, message: bytes) -> None:
        self._t0 = time.perf_counter()
        super().send(message)

    def receive(self, timeout_s: float, idle=None) -> bytes:
        raw = super().receive(timeout_s, idle=idle)
        self.round_trips.append(time.perf_counter() - self._t0)
        return raw


def saf_drain_rate(tmp: Path, port: int, tid: str, n: int = 300) -> tuple[float, float]:
    """(messages per second, median round trip inside the drain)."""
    cfg = Config()
    cfg = replace(cfg, host=replace(cfg.host, address=f"127.0.0.1:{port}"), terminal=replace(cfg.terminal, id=tid),
                  saf=replace(cfg.saf, window=1))  # the serial drain: its limit is 1 fsync + 1 RTT per message
    journal = Journal(tmp / "saf.sqlite3")  # a fresh journal (and host keys) per round
    link = TimedLink(Endpoint("127.0.0.1", port))
    from terminal.txn.engine import Engine
    from terminal.txn.records import CardInput
    card = CardInput(entry_mode="901", masked_pan="476173******0010", track2=MAGSTRIPE_TRACK2)
    queue_reversals(Engine(cfg, journal, link), n, card)
    link.round_trips.clear()
    elapsed = timed_drain(cfg, journal, link, n)
    return n / elapsed, statistics.median(link.round_trips)


def queue_reversals(engine, n: int, card) -> None:
    """n sales the host approved (untimed), then a reversal queued for each: queued after every sale, because a
    sale clears pending reversals before its own 0200."""
    rows = [engine.authorise("purchase", 100 + i, card)[0] for i in range(n)]
    for row in rows:
        engine.journal.queue(row.id, "reversal", "17", "reversal_pending", "bench")


def timed_drain(cfg, journal: Journal, link, n: int) -> float:
    """Seconds of one forced drain that must deliver all n entries; closes the link and the journal."""
    from terminal.txn import saf
    t0 = time.perf_counter()
    report = saf.drain(cfg, journal, link, force=True)
    elapsed = time.perf_counter() - t0
    assert report.delivered == n, report
    link.close()
    journal.close()
    return elapsed


class HostProcess:
    """The host simulator in its own process, as a real host is: it must not share the terminal's GIL."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "terminal.cli.main", "host-sim", "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     env=dict(os.environ, PYTHONPATH=str(ROOT)))
        self.port = int(self.proc.stdout.readline().rsplit(":", 1)[1])

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def main() -> dict:
    server = HostProcess()
    tmp = Path(tempfile.mkdtemp(prefix="posterm-bench-", dir=os.environ.get("POSTERM_BENCH_DIR")))
    try:
        fs = fsyncs_per_sale(tmp, server.port)
        echo = loopback_rtt_s()
        rounds = []  # anchor and figure interleaved, three rounds, medians: this machine is shared
        for i in range(3):
            rate_i, rtt_i = saf_drain_rate(tmp / f"r{i}", server.port, f"DRAIN{i:03d}")
            rounds.append((raw_fsync_s(tmp), host_rtt_s(server.port, f"ANCHOR{i:02d}"), rtt_i, rate_i))
        f, ready, r, rate = (statistics.median(x) for x in zip(*rounds))
        limit = 1 / (f + ready)
    finally:
        server.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print("transaction engine")
    if fs is not None:
        print(f"  fsyncs per approved sale, running    {fs[0]:8.1f}      (budget 3 per EMV sale: "
              f"{'within' if fs[0] <= 3 else 'OVER'})")
        print(f"  fsyncs of a one-shot `posterm sale`  {fs[1]:8d}      (+2 creating the WAL, +2 checkpoint at exit)")
    print(f"  raw fsync, same disk                 {f * 1e6:8.1f} us")
    print(f"  bare loopback TCP echo               {echo * 1e6:8.1f} us")
    print(f"  ready-made 0400 -> 0410 round trip   {ready * 1e6:8.1f} us   (the anchor's round trip)")
    print(f"  round trip as the drain lives it     {r * 1e6:8.1f} us   (includes building the next message)")
    print(f"  limit: 1 fsync + 1 RTT per message   {limit:8.0f} msg/s")
    print(f"  SAF drain to the host simulator      {rate:8.0f} msg/s")
    print(f"  ratio                                {rate / limit:8.2f}      (budget >= 0.50: "
          f"{'within' if rate / limit >= 0.5 else 'UNDER'})")
    return {"fsyncs_per_sale": fs, "fsync_us": f * 1e6, "echo_us": echo * 1e6, "ready_rtt_us": ready * 1e6,
            "rtt_us": r * 1e6, "drain_rate": rate,
            "ratio": rate / limit}


if __name__ == "__main__":
    main()
