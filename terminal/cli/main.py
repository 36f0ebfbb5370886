"""The `posterm` command: parse arguments, dispatch to one module per command (terminal/cli/cmd_*.py)."""
from __future__ import annotations

import argparse
import importlib
import sys

# Each module has register(subparsers) and run(args) -> exit code. Imported lazily so that `posterm --help`
# stays fast and pyscard/pyserial load only when a reader is opened.
COMMANDS = [
    "terminal.cli.cmd_demo",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="posterm", description="Terminal-side client for card readers.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
