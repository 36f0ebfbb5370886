"""Memory of a long-running terminal, beside its anchor measured in the same run:

- RSS of ONE `posterm run` process, the keypad scripted (--keys) to make sale after sale (20,000 by default)
  against a loopback host simulator, sampled from /proc/PID/status (VmRSS) while it runs. The anchor is the
  RSS after the first 1,000 sales (imports done, caches warm, the keypad audit trail filling); the figure is the
  RSS after the last sale, and the budget is that it grows less than 1 MB after the first 1,000 sales.

How many sales are done is read from outside, with no hook in the product: the bench counts the purchase rows of
the journal (opened read-only). The terminal writes a sale's row when the sale starts, so k rows mean k - 1
sales complete. The process ends when its key script does; samples taken once the last row is there (the last
sale, then the journal closing and the process exiting, when RSS falls) are dropped, so the figure is the RSS
within a sampling interval of the end of the last-but-one sale; the highest RSS sampled is printed beside it.

    python -m bench memory                        # 20,000 sales
    python -m bench.bench_memory --sales 2000     # a quick check (or POSTERM_BENCH_SALES=2000)
    python -m bench.bench_memory --reader emulated:visa

The sales mix chip (emulated:visa), swipe (emulated-swipe:magstripe) and tap (emulated:contactless): `posterm
run` given --reader more than once takes the readers in turn, one per sale.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT))

SALES = 20_000
ANCHOR_SALES = 1_000
BUDGET_MB = 1.0
READERS = ("emulated:visa", "emulated-swipe:magstripe", "emulated:contactless")  # chip, swipe, tap in turn
SALE_KEYS = "1,2,3,ENTER,ENTER"  # amount CNY 1.23, confirm; the next sale's first digit dismisses the result
#                                  (no PIN key: the emulated cardholder's PIN comes from the card profile)
SAMPLE_S = 0.02

# The kernel caps one argv string at 128 KiB (MAX_ARG_STRLEN): --keys for more than about 5,600 sales cannot be
# passed on a command line. So the child is the console script's own entry point (setup.cfg: posterm =
# terminal.cli.main:main) called with the same argv, read from a file: one `posterm run` process all the same.
LAUNCH = "import json, sys; from terminal.cli.main import main; sys.exit(main(json.load(open(sys.argv[1]))))"


def vm_rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None  # a zombie has no VmRSS


class SaleCounter:
    """Purchases in the journal, read through a read-only connection (never a write lock on the terminal's)."""

    def __init__(self, path: Path) -> None:
        self.path, self.conn = path, None

    def __call__(self) -> int:
        try:
            if self.conn is None:
                if not self.path.exists():
                    return 0
                self.conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=1.0)
            return self.conn.execute("SELECT count(*) FROM txn WHERE kind = 'purchase'").fetchone()[0]
        except sqlite3.Error:
            return -1  # busy or the schema not there yet: skip this sample

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def run_sales(sales: int, readers: list[str], port: int, data_dir: Path, pin: str | None = None) -> dict:
    """One `posterm run` making `sales` sales: its (sales done, VmRSS kB, seconds) samples, the purchases the
    journal holds at the end, and the wall time."""
    args = ["run", *[a for r in readers for a in ("--reader", r)], "--host", f"127.0.0.1:{port}", "--data-dir", str(data_dir),
            "--keys", ",".join([SALE_KEYS] * sales)]
    if pin:
        args += ["--pin", pin]
    argv_file = data_dir.parent / "argv.json"
    argv_file.write_text(json.dumps(args))
    argv = [sys.executable, "-c", LAUNCH, str(argv_file)]
    count = SaleCounter(data_dir / "journal.sqlite3")
    samples: list[tuple[int, int, float]] = []  # (sales done, VmRSS kB, seconds since start)
    t0 = time.perf_counter()
    err_file = (data_dir.parent / "stderr").open("w+")  # a file, not a pipe nobody reads while it runs
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err_file, env=ENV)
    try:
        while child.poll() is None:
            done, rss = count(), vm_rss_kb(child.pid)  # count first: the RSS is then at least that far along
            if rss is not None and done >= 0:
                samples.append((done, rss, time.perf_counter() - t0))
            time.sleep(SAMPLE_S)
    except BaseException:
        child.kill()
        raise
    finally:
        count.close()
    err_file.seek(0)
    stderr = err_file.read()
    err_file.close()
    if child.returncode != 0:
        raise RuntimeError(f"posterm run exited {child.returncode}: {stderr.strip()[-2000:]}")
    final = SaleCounter(data_dir / "journal.sqlite3")
    made = final()
    final.close()
    return {"samples": samples, "made": made, "seconds": time.perf_counter() - t0}


def completed(samples: list[tuple[int, int, float]]) -> list[tuple[int, int]]:
    """(sales completed, VmRSS kB) while the terminal runs. A sale's journal row is written when it starts, so
    with k rows k - 1 sales are complete; the samples taken once the last row is there are dropped (the last
    sale, then the process closing its journal and exiting, when RSS falls)."""
    last = samples[-1][0] if samples else 0
    return [(done - 1, rss) for done, rss, _ in samples if 0 < done < last]


def rss_at(samples: list[tuple[int, int]], sales: int) -> tuple[int, int]:
    """The first sample taken once `sales` sales were complete: (sales complete then, VmRSS kB)."""
    for done, rss in samples:
        if done >= sales:
            return done, rss
    raise RuntimeError(f"no sample after {sales} sales (the run completed {samples[-1][0] if samples else 0})")


def main(sales: int | None = None, reader: str | None = None, pin: str | None = None) -> dict:
    sales = sales or int(os.environ.get("POSTERM_BENCH_SALES", SALES))
    reader = reader or os.environ.get("POSTERM_BENCH_READER")
    readers = [reader] if reader else list(READERS)
    anchor_sales = min(ANCHOR_SALES, sales // 2)
    host = subprocess.Popen([sys.executable, "-m", "terminal.cli.main", "host-sim", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=ENV)
    try:
        port = int(host.stdout.readline().rsplit(":", 1)[1])
        with tempfile.TemporaryDirectory() as tmp:
            run = run_sales(sales, readers, port, Path(tmp) / "data", pin)
    finally:
        host.terminate()
        host.wait(10)
    samples = completed(run["samples"])
    at_anchor, anchor_kb = rss_at(samples, anchor_sales)
    last_done, last_kb = samples[-1]
    peak_kb = max(rss for _, rss in samples)
    growth_mb = (last_kb - anchor_kb) / 1024
    per_sale = (last_kb - anchor_kb) * 1024 / max(1, last_done - at_anchor)
    ok = growth_mb < BUDGET_MB
    print(f"memory of one `posterm run` process, {sales:,} scripted sales ({' / '.join(readers)}), "
          f"{run['made']:,} made in {run['seconds']:.0f} s")
    print(f"  RSS after {at_anchor:>6,} sales (anchor)      {anchor_kb / 1024:8.1f} MB")
    print(f"  RSS after {last_done:>6,} sales (last sample) {last_kb / 1024:8.1f} MB   ratio "
          f"{last_kb / anchor_kb:5.3f}x   (peak sampled {peak_kb / 1024:.1f} MB)")
    print(f"  growth after the first {anchor_sales:,} sales   {growth_mb:8.2f} MB   {per_sale:6.0f} B/sale"
          f"   (budget < {BUDGET_MB:g} MB: {'within' if ok else 'OVER'})")
    if run["made"] != sales:
        print(f"  note: the journal holds {run['made']:,} purchases for {sales:,} scripted sales")
    return {"sales": sales, "readers": readers, "anchor_sales": at_anchor, "anchor_mb": anchor_kb / 1024,
            "last_sales": last_done, "last_mb": last_kb / 1024, "growth_mb": growth_mb,
            "bytes_per_sale": per_sale, "peak_mb": peak_kb / 1024, "within_budget": ok}


if __name__ == "__main__":
    p = argparse.ArgumentParser(prog="python -m bench.bench_memory", description=__doc__.split("\n\n")[0])
    p.add_argument("--sales", type=int, help=f"sales in the one process (default {SALES:,}, "
                   "or POSTERM_BENCH_SALES)")
    p.add_argument("--reader", help=f"one reader spec for `posterm run` (default: {', '.join(READERS)} in turn)")
    p.add_argument("--pin", help="--pin for `posterm run` (default: the emulated card profile's own PIN)")
    a = p.parse_args()
    main(a.sales, a.reader, a.pin)
