"""Journal growth: `posterm status`, `posterm txn show`, a sale, `posterm settle`, `posterm txn find` and a filtered
`posterm txn list` on an empty journal beside the same commands on a journal of 1,000,000 transactions, in the
same run (budget: ratio at most 1.2).

The big journal is built straight with SQLite (a year or two of a busy counter: settled batches of 1,000
purchases, some reversed with their delivered 0400), then opened once by posterm, which adopts it (identity)
and creates its indexes. Each command is a real `posterm` process against the loopback host simulator; the
figure is the median wall time of several runs, the two journals taking turns.
"""
from __future__ import annotations

import datetime as dt
import itertools
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from terminal.config import Config
from terminal.hostsim.server import start
from terminal.store import Journal

ROOT = Path(__file__).resolve().parents[1]
BIG = int(os.environ.get("POSTERM_BENCH_JOURNAL_TXNS", "1000000"))
PER_BATCH = 1000
RUNS = int(os.environ.get("POSTERM_BENCH_JOURNAL_RUNS", "7"))


def build(path: Path, n: int) -> None:
    conn = sqlite3.connect(path)
    conn.executescript((ROOT / "terminal/store/schema.sql").read_text())
    conn.execute("PRAGMA journal_mode=WAL")
    at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")  # within keep_days: all stays live
    batches = n // PER_BATCH

    def txns():
        for i in range(1, n + 1):
            state = "reversed" if i % 100 == 0 else "approved"
            yield (i, "purchase", "000000", 100 + i % 5000, "156", i % 999_999 or 1, "2026-01-01T18:00:00", "0101100000",
                   "901", "476173******0010", None, (i - 1) // PER_BATCH + 1, state, "00", f"{i % 999999:06d}",
                   f"{i:012d}", "APPROVED", None, at, at, None)

    def events():
        for i in range(1, n + 1):
            yield (i, at, "sending", "request about to be sent")
            if i % 100 == 0:
                yield (i, at, "reversal_pending", "no response")
                yield (i, at, "reversed", "reversal acknowledged")
            else:
                yield (i, at, "approved", "approved by the host")

    with conn:
        conn.executemany("INSERT INTO txn(id, kind, proc_code, amount, currency, stan, local_time, transmitted,"
                         " entry_mode, masked_pan, psn, batch, state, response_code, auth_code, rrn, message,"
                         " original_id, created_at, updated_at, tsc) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         txns())
        conn.executemany("INSERT INTO txn_event(txn_id, at, state, reason) VALUES(?,?,?,?)", events())
        conn.executemany("INSERT INTO saf(txn_id, kind, stan, reason_code, attempts, state, created_at, updated_at)"
                         " VALUES(?, 'reversal', ?, '68', 1, 'delivered', ?, ?)",
                         ((i, i % 999_999, at, at) for i in range(100, n + 1, 100)))
        conn.executemany("INSERT INTO settlement(batch, stan, credits_count, credits_amount, debits_count,"
                         " debits_amount, state, created_at, updated_at) VALUES(?, 1, 0, 0, 990, 0, 'closed', ?, ?)",
                         ((b, at, at) for b in range(1, batches + 1)))
        conn.executemany("INSERT INTO meta(key, value) VALUES(?, ?)",
                         (("stan", str(n % 999_999)), ("batch", str(batches + 1)), ("tsc", "0")))
    conn.execute("PRAGMA user_version=1")
    conn.close()
    Journal(path).close()  # adopted by posterm: identity written, indexes made


def posterm(*args: str) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "terminal.cli.main", *args], capture_output=True, text=True, env=env)
    took = time.perf_counter() - t
    if p.returncode not in (0, 3):
        raise SystemExit(f"posterm {' '.join(args)}: exit {p.returncode}: {p.stderr.strip() or p.stdout.strip()}")
    return took


def main() -> None:
    server, thread = start(Config().keys.mac_key)
    host = f"127.0.0.1:{server.port}"
    with tempfile.TemporaryDirectory(dir=os.environ.get("POSTERM_BENCH_DIR", "/var/tmp")) as tmp:
        dirs = {"empty": Path(tmp) / "empty", "big": Path(tmp) / "big"}
        for d in dirs.values():
            d.mkdir()
        t = time.perf_counter()
        build(dirs["big"] / "journal.sqlite3", BIG)
        size = (dirs["big"] / "journal.sqlite3").stat().st_size
        print(f"  built a journal of {BIG:,} transactions in {time.perf_counter() - t:.1f} s ({size / 2**20:.0f} MiB)")
        for d in dirs.values():  # one sale each, so `txn show 1` and the open batch exist on both
            posterm("sale", "1.00", "--reader", "emulated-swipe:magstripe", "--host", host, "--data-dir", str(d))
        show_big = str(BIG // 2)
        cents = itertools.count()
        commands = {
            "status": lambda d, big: ("status",),
            "txn show": lambda d, big: ("txn", "show", show_big if big else "1"),
            # another amount each time: the same card and amount again is the risk rules' duplicate charge
            "sale": lambda d, big: ("sale", f"{2 + next(cents) / 100:.2f}", "--reader", "emulated-swipe:magstripe",
                                    "--host", host),
            "settle": lambda d, big: ("settle", "--host", host),
            # the customer's question: the day's index finds the few rows of today, the rest filters them
            "txn find": lambda d, big: ("txn", "find", "--last4", "0010", "--amount", "1.00", "--date", "today"),
            # a filter every one of the 1,000,000 rows matches: the index hands them newest first, LIMIT stops it
            "txn list --last4": lambda d, big: ("txn", "list", "--last4", "0010"),
        }
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(RUNS):
            for name, argv in commands.items():
                for which, d in dirs.items():
                    times.setdefault((name, which), []).append(
                        posterm(*argv(d, which == "big"), "--data-dir", str(d)))
        worst = 0.0
        for name in commands:
            e = statistics.median(times[(name, "empty")]) * 1000
            b = statistics.median(times[(name, "big")]) * 1000
            worst = max(worst, b / e)
            print(f"  {name:16} empty journal {e:7.1f} ms   {BIG:,} transactions {b:7.1f} ms   ratio {b / e:.2f}")
        print(f"  worst ratio {worst:.2f} (budget 1.2): {'ok' if worst <= 1.2 else 'OVER BUDGET'}")
    server.shutdown()
    server.server_close()
    thread.join(5)


if __name__ == "__main__":
    main()
