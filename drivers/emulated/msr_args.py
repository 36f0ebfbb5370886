"""Command-line arguments of the serial reader emulator, shared by `python -m drivers.emulated.msr_pty` and
`posterm msr-emulator`. Kept free of imports so registering the posterm command costs nothing at `--help`."""
from __future__ import annotations

import argparse

PROTOCOLS = ("ascii", "msr605")
SCENARIOS = ("good", "bad-status", "bad-swipe", "refuse", "unreadable-track", "garbage", "split", "incomplete",
             "pull")
CARD_NAMES = ("visa", "mastercard", "unionpay", "magstripe", "expired")  # = msr_tracks.TEST_CARDS (tested)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--protocol", choices=PROTOCOLS, default="ascii",
                        help="the reader protocol to emulate (default ascii)")
    parser.add_argument("--swipe", metavar="CARD", choices=CARD_NAMES, default="visa",
                        help=f"test card whose tracks are swiped: {', '.join(CARD_NAMES)}")
    parser.add_argument("--scenario", action="append", metavar="KIND[:CARD]",
                        help=f"one of {', '.join(SCENARIOS)}; repeat for a script (default: good)")
    parser.add_argument("--lrc", action="store_true", help="ascii: send the LRC after each end sentinel")
    parser.add_argument("--stx", action="store_true", help="ascii: frame each swipe with STX/ETX")
