"""Contactless kernels (Book B entry point + Book C-3 qVSDC, Book C-2 M/Chip): APDUs per tap beside the minimum, terminal CPU per
kernel run (in process, the card's own CPU subtracted), and tap-to-outcome through the real pcscd + vpcd beside
the sum of its APDU round trips, measured in the same run.

    .venv/bin/python -m bench.bench_contactless [runs]      (as root: the PC/SC stack runs in private namespaces)

Minimum APDUs of a tap: SELECT PPSE (Book B combination selection), final SELECT, GET PROCESSING OPTIONS, one
READ RECORD per AFL record the card lists, and for C-2 its one GENERATE AC. Tap-to-outcome = from the first command to the kernel's outcome
(offline approval, or 'card read OK, remove card' with the online request); budget 2x the APDU round trips
(DESIGN.md), CPU 2 ms median."""
from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace
from datetime import datetime, timezone

from tests.fixtures.pcscd import SESSION_RUN_DIR, PrivatePcscStack, StackError  # sets PCSCLITE_CSOCK_NAME first

from bench.timing import TimedChannel
from drivers.emulated.inprocess import InProcessChannel
from drivers.emulated.vcard import load_profile
from terminal.emv.config import EmvTerminalData, Transaction
from terminal.emv.gpo import parse_afl
from terminal.emv.kernel import EmvKernel
from terminal.emv.pin import EmulatedPinPad
from terminal.emv.runner import KernelRunner

SALE_TIME = datetime(2025, 6, 1, 12, 30, tzinfo=timezone.utc)
AMOUNT = 1234
CASES = (("contactless", 0), ("qvsdc-offline", 5000), ("mchip-contactless", 0))   # profile, reader floor limit


def _config(floor: int) -> EmvTerminalData:
    cfg = EmvTerminalData(contactless_interface=True)
    return replace(cfg, aids=tuple(replace(a, cl_floor_limit=floor) for a in cfg.aids))


def minimum(card) -> int:
    """PPSE, final SELECT, GPO, the AFL's records; C-2 adds its one GENERATE AC."""
    return 3 + sum(e.last - e.first + 1 for e in parse_afl(card.image.afl)) + (card.image.kernel == "c2")


def tap(channel, floor: int, clock=time.process_time):
    timed = TimedChannel(channel, clock=clock)
    kernel = EmvKernel(_config(floor), Transaction(AMOUNT, now=SALE_TIME), pinpad=EmulatedPinPad("4321"))
    start = clock()
    out = KernelRunner(timed, kernel).run()
    return out, clock() - start, timed


def main(runs: int = 300) -> None:
    print(f"{'profile':18} {'outcome':16} {'APDUs':>5} {'minimum':>7} {'CPU median':>11} {'p90':>9}   budget 2 ms")
    for profile, floor in CASES:
        tap(InProcessChannel(load_profile(profile)), floor)
        cpu = []
        for _ in range(runs):
            card = load_profile(profile)
            out, total, timed = tap(InProcessChannel(card), floor)
            cpu.append(total - timed.spent)
        cpu.sort()
        med = statistics.median(cpu) * 1000
        print(f"{profile:18} {out.decision.value:16} {out.apdu_count:5d} {minimum(card):7d} {med:8.3f} ms "
              f"{cpu[int(len(cpu) * .9)] * 1000:6.3f} ms   {'OK' if med < 2 else 'OVER'}")
    try:
        stack = PrivatePcscStack(SESSION_RUN_DIR).start()
    except StackError as exc:
        print(f"\ntap to outcome through pcscd: skipped ({exc})")
        return
    from drivers import pcsc
    try:
        print(f"\n{'profile':18} {'tap to outcome':>15} {'sum of APDU round trips':>24} {'ratio':>6}   budget 2x")
        for profile, floor in CASES:
            card = load_profile(profile)
            stack.serve(card, contactless=True)
            with pcsc.wait_for_card(stack.reader(0), 10) as channel:
                totals, apdus = [], []
                for _ in range(max(runs // 10, 20)):
                    channel.transmit(bytes.fromhex("00A404000E325041592E5359532E444446303100"))   # warm
                    out, total, timed = tap(channel, floor, clock=time.perf_counter)
                    totals.append(total)
                    apdus.append(timed.spent)
            stack.remove_all_cards()
            t, a = statistics.median(totals) * 1e3, statistics.median(apdus) * 1e3
            print(f"{profile:18} {t:12.3f} ms {a:21.3f} ms {t / a:5.2f}x   {'OK' if t <= 2 * a else 'OVER'}")
    finally:
        stack.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
