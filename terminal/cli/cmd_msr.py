"""`posterm msr-emulator`: a serial magstripe reader on a pty, in the foreground, for developers.

Prints the device path to use with `--reader serial:PATH?protocol=...`, then answers read requests until
interrupted. Registering imports only the argument table, so `posterm --help` stays fast.
"""
from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from drivers.emulated.msr_args import add_arguments
    p = sub.add_parser("msr-emulator", help="an emulated serial magstripe reader on a pty (prints its path)",
                       description="Serve an emulated serial magstripe reader on a pty; prints the device path. "
                                   "Use it as --reader serial:PATH?protocol=ascii (or msr605).")
    add_arguments(p)
    from terminal.cli.options import add_common
    add_common(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from drivers.emulated.msr_pty import serve_from_args
    return serve_from_args(args)
