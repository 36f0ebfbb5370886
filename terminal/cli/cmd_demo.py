"""`posterm demo`: placeholder until the walking skeleton lands."""
from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="a whole sale on embedded defaults")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    print("demo not yet built")
    return 3
