"""The `posterm` command: parse arguments, dispatch to one module per command (terminal/cli/cmd_*.py).

Every expected failure maps to an exit code of cli-contract.md with one line on stderr naming the fault;
nothing in here prints a traceback for bad input.
"""
from __future__ import annotations

import argparse
import importlib
import sys

# Each module has register(subparsers) and run(args) -> exit code. Imported lazily so that `posterm --help`
# stays fast and pyscard/pyserial load only when a reader is opened.
COMMANDS = [
    "terminal.cli.cmd_msr",
    "terminal.cli.cmd_sale",
    "terminal.cli.cmd_txn",
    "terminal.cli.cmd_journal",
    "terminal.cli.cmd_saf",
    "terminal.cli.cmd_settle",
    "terminal.cli.cmd_status",
    "terminal.cli.cmd_hostsim",
    "terminal.cli.cmd_demo",
    "terminal.cli.cmd_run",
    "terminal.cli.cmd_readers",
    "terminal.cli.cmd_fw",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="posterm", description="Terminal-side client for card readers.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from terminal.cli.common import EXIT_DEVICE, EXIT_NOT_APPROVED, EXIT_USAGE, UsageError, fail
    from terminal.config import ConfigError
    from terminal.store import StoreError
    from drivers.errors import ReaderError
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (UsageError, ConfigError) as e:
        fail(str(e))
        return EXIT_USAGE
    except ReaderError as e:
        fail(str(e))
        return EXIT_DEVICE
    except StoreError as e:
        fail(str(e))
        return EXIT_NOT_APPROVED
    except KeyboardInterrupt:
        fail("interrupted")
        return EXIT_NOT_APPROVED


if __name__ == "__main__":
    sys.exit(main())
