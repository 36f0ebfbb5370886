"""What every command shares: the common options, loading config, opening the journal and the link."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

# terminal.config (dataclasses, TOML) is imported by the functions that need it: `posterm --help` imports this
# module and must stay within its start-up budget.
if TYPE_CHECKING:
    from terminal.config import Config

EXIT_OK, EXIT_DECLINED, EXIT_USAGE, EXIT_NOT_APPROVED, EXIT_DEVICE = 0, 1, 2, 3, 4
EXIT_INTERNAL = 70   # an unexpected error: one line and the path of a crash report


class UsageError(Exception):
    """Bad arguments or configuration: exit 2."""


def add_common(p: argparse.ArgumentParser) -> None:
    """--config --data-dir --host --json --lang -v --log-file --trace-iso (terminal/cli/options.py)."""
    from terminal.cli.options import add_common as add
    add(p)


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "posterm"


def load_config(args: argparse.Namespace) -> Config:
    """The configuration the command runs on: --config, $POSTERM_CONFIG, $XDG_CONFIG_HOME/posterm/config.toml,
    /etc/posterm/config.toml, else the built-in demo parameters; the installed signed parameter bundle over
    them; --host over [host] address. Loaded once per process (main's preflight checks it whole before anything
    runs)."""
    cached = getattr(args, "_config", None)
    if cached is not None:
        return cached
    from dataclasses import replace

    from firmware_tools.bundle import Installed
    from terminal.config import ConfigError
    cfg = Installed(journal_path(args)).configure(load_base_config(args))   # the installed bundle over the file
    host = getattr(args, "host", None)
    if host is not None:
        from terminal.link.client import Endpoint
        try:
            Endpoint.parse(host)
        except ValueError as e:
            raise ConfigError(f"--host: {e}") from None
        cfg = replace(cfg, host=replace(cfg.host, address=host, addresses=()))  # over every [host] address
    args._config = cfg
    return cfg


def load_base_config(args: argparse.Namespace) -> Config:
    """The config file's parameters alone, without the installed bundle: what a new bundle replaces."""
    cached = getattr(args, "_base_config", None)
    if cached is None:
        from terminal.config import discover, load
        cached = args._base_config = load(discover(getattr(args, "config", None)))
    return cached


def journal_path(args: argparse.Namespace) -> Path:
    data_dir = getattr(args, "data_dir", None)
    return Path(data_dir) if data_dir else default_data_dir()


def open_journal(args: argparse.Namespace, *, transacting: bool = False):
    """Transacting commands hold an exclusive lock on the data dir for their lifetime: crash recovery reverses
    every in-flight row it finds, which must never be another live process's sale."""
    from terminal.store import Journal, StoreError
    from terminal.store.identity import IdentityError
    directory = journal_path(args)
    terminal_id = None
    if transacting:
        _lock_data_dir(directory)
        terminal_id = load_config(args).terminal.id
    try:
        journal = Journal(directory / "journal.sqlite3", terminal_id=terminal_id)
    except IdentityError as e:
        raise UsageError(str(e)) from None  # not this terminal's books: exit 2, nothing written or sent
    except StoreError as e:
        if transacting:   # a journal that cannot be opened is a fault the merchant's monitoring must hear of
            from terminal.txn.alert_log import fault_before_open
            fault_before_open(load_config(args), str(e))
        raise
    if transacting:   # what it records from now on may be an alert: the alert log hears of it too
        from terminal.txn.alert_log import attach
        attach(journal, load_config(args))
    return journal


_held_locks: list = []


def _lock_data_dir(directory: Path) -> None:
    import fcntl
    directory.mkdir(parents=True, exist_ok=True)
    f = open(directory / "posterm.lock", "a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        from terminal.i18n.text import N_
        raise UsageError(N_("another posterm process is transacting on {directory}; wait for it to finish",
                            directory=str(directory))) from None
    _held_locks.append(f)  # released when the process exits, however it exits


def open_link(cfg: Config):
    """Every [host] address, primary first, behind one link (terminal/link/failover.py)."""
    from terminal.config import refuse_demo_keys
    from terminal.txn.acquirer import acquirer_link
    refuse_demo_keys(cfg)
    return acquirer_link(cfg.host)


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
    """The result on stdout. A reader that went away (`posterm txn list | head`) is not an error: the rest is
    dropped quietly and the command keeps its exit code."""
    try:
        if getattr(args, "json", False):
            print(json.dumps(obj, sort_keys=True), flush=True)
        else:
            print("\n".join(text_lines), flush=True)
    except BrokenPipeError:
        stdout_gone()


def stdout_gone() -> None:
    """stdout's reader has gone: send the rest to /dev/null so the interpreter's last flush is quiet too."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def fail(message: str) -> None:
    print(f"posterm: {message}", file=sys.stderr)
