"""What every command shares: the common options, loading config, opening the journal and the link."""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

from terminal.config import Config, ConfigError, load

EXIT_OK, EXIT_DECLINED, EXIT_USAGE, EXIT_NOT_APPROVED, EXIT_DEVICE = 0, 1, 2, 3, 4


class UsageError(Exception):
    """Bad arguments or configuration: exit 2."""


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="TOML terminal parameters (default: built-in demo parameters)")
    p.add_argument("--data-dir", metavar="DIR", help="where the journal lives (default: ~/.local/share/posterm)")
    p.add_argument("--host", metavar="HOST:PORT", help="overrides [host] address")
    p.add_argument("--json", action="store_true", help="print one JSON object as the result")


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "posterm"


def load_config(args: argparse.Namespace) -> Config:
    cfg = load(args.config)
    if getattr(args, "host", None):
        from terminal.link.client import Endpoint
        try:
            Endpoint.parse(args.host)
        except ValueError as e:
            raise ConfigError(f"--host: {e}") from None
        cfg = replace(cfg, host=replace(cfg.host, address=args.host))
    return cfg


def journal_path(args: argparse.Namespace) -> Path:
    return Path(args.data_dir) if args.data_dir else default_data_dir()


def open_journal(args: argparse.Namespace, *, transacting: bool = False):
    """Transacting commands hold an exclusive lock on the data dir for their lifetime: crash recovery reverses
    every in-flight row it finds, which must never be another live process's sale."""
    from terminal.store import Journal
    directory = journal_path(args)
    if transacting:
        _lock_data_dir(directory)
    return Journal(directory / "journal.sqlite3")


_held_locks: list = []


def _lock_data_dir(directory: Path) -> None:
    import fcntl
    directory.mkdir(parents=True, exist_ok=True)
    f = open(directory / "posterm.lock", "a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise UsageError(f"another posterm process is transacting on {directory}; wait for it to finish") from None
    _held_locks.append(f)  # released when the process exits, however it exits


def open_link(cfg: Config):
    from terminal.link.client import Endpoint, HostLink
    return HostLink(Endpoint.parse(cfg.host.address, connect_timeout_s=cfg.host.connect_timeout_s,
                                   tls_ca_file=cfg.host.tls_ca_file or None))


def parse_amount(text: str, max_amount: int) -> int:
    """Major units with a dot, as the contract says ('12.34'); two minor digits."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise UsageError(f"amount {text!r}: expected major units such as 12.34") from None
    minor = value * 100
    if minor != minor.to_integral_value() or not value.is_finite():
        raise UsageError(f"amount {text!r}: at most two decimals")
    if minor <= 0:
        raise UsageError(f"amount {text!r}: must be more than zero")
    if minor > max_amount:
        raise UsageError(f"amount {text!r}: above the terminal's maximum of {max_amount} minor units")
    return int(minor)


def emit(args: argparse.Namespace, obj: dict, text_lines: list[str]) -> None:
    if getattr(args, "json", False):
        print(json.dumps(obj, sort_keys=True))
    else:
        print("\n".join(text_lines))


def fail(message: str) -> None:
    print(f"posterm: {message}", file=sys.stderr)
