"""Start-up and memory budgets (DESIGN.md), each beside its anchor in the same run:

- `posterm --help` wall time (budget 100 ms) beside a bare `python -c pass`;
- peak RSS of a whole `posterm sale` process against a loopback host simulator (budget 40 MB) beside the
  interpreter with the libraries a sale imports (pyiso8583, cryptography, sqlite3) and nothing else.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT))


def wall(argv: list[str], n: int = 15) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=ENV)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_rss_mb(argv: list[str]) -> float:
    """ru_maxrss of one child, measured from a fresh wrapper so earlier children do not mask it."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *argv], check=True, capture_output=True, text=True, env=ENV)
    return int(out.stdout) / 1024


def main() -> dict:
    posterm = [sys.executable, "-m", "terminal.cli.main"]
    help_s, bare_s = wall(posterm + ["--help"]), wall([sys.executable, "-c", "pass"])
    host = subprocess.Popen(posterm + ["host-sim", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=ENV)
    try:
        port = int(host.stdout.readline().rsplit(":", 1)[1])
        with tempfile.TemporaryDirectory() as tmp:   # two amounts: the same test card twice is the duplicate guard's
            sale = peak_rss_mb(posterm + ["sale", "1.00", "--reader", "emulated-swipe:magstripe", "--host", f"127.0.0.1:{port}", "--data-dir", tmp])
            chip = peak_rss_mb(posterm + ["sale", "2.00", "--reader", "emulated:visa", "--host",
                                          f"127.0.0.1:{port}", "--data-dir", tmp])
    finally:
        host.terminate()
        host.wait(10)
    libs = peak_rss_mb([sys.executable, "-c", "import iso8583, sqlite3, socket, json;"
                        " from cryptography.hazmat.primitives import cmac"])
    print("start-up and memory")
    print(f"  python -c pass                       {bare_s * 1e3:8.1f} ms")
    print(f"  posterm --help                       {help_s * 1e3:8.1f} ms   ratio {help_s / bare_s:5.2f}x"
          f"   (budget 100 ms and 3x: {'within' if help_s <= 0.1 and help_s <= 3 * bare_s else 'OVER'})")
    print(f"  interpreter + a sale's libraries     {libs:8.1f} MB")
    print(f"  whole `posterm sale` process, swipe  {sale:8.1f} MB   ratio {sale / libs:5.2f}x"
          f"   (budget 40 MB: {'within' if sale <= 40 else 'OVER'})")
    print(f"  ... chip (EMV kernel + virtual card) {chip:8.1f} MB   ratio {chip / libs:5.2f}x"
          f"   (budget 40 MB: {'within' if chip <= 40 else 'OVER'})")
    return {"help_ms": help_s * 1e3, "bare_ms": bare_s * 1e3, "sale_mb": sale, "chip_mb": chip, "libs_mb": libs}


if __name__ == "__main__":
    main()
