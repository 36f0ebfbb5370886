"""What every command shares: the common options, loading config, opening the journal and the link."""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
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
    from terminal.store.identity import IdentityError
    directory = journal_path(args)
    terminal_id = None
    if transacting:
        _lock_data_dir(directory)
        terminal_id = load_config(args).terminal.id
    try:
        return Journal(directory / "journal.sqlite3", terminal_id=terminal_id)
    except IdentityError as e:
        raise UsageError(str(e)) from None  # not this terminal's books: exit 2, nothing written or sent


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


def parse_amount(text: str, max_amount: int, currency: str = "156") -> int:
    """Minor units of AMOUNT in the configured currency's ISO 4217 exponent (terminal/i18n/money.py: the one
    grammar); anything else is a usage error (exit 2) naming the form expected."""
    from terminal.i18n.money import AmountError, CurrencyError
    from terminal.i18n.money import parse_amount as parse
    try:
        return parse(text, currency, max_amount)
    except (AmountError, CurrencyError) as e:
        raise UsageError(str(e)) from None


def emit(args: argparse.Namespace, obj: dict, text_lines: list[str]) -> None:
    if getattr(args, "json", False):
        print(json.dumps(obj, sort_keys=True))
    else:
        print("\n".join(text_lines))


def fail(message: str) -> None:
    print(f"posterm: {message}", file=sys.stderr)
