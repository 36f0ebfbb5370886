"""The `posterm` command: parse arguments, check the configuration whole, dispatch to one module per command
(terminal/cli/cmd_*.py), and be the one error boundary.

Every error class maps to an exit code of docs/cli.md with one line on stderr (and, with --json, one
`{"error": {"code", "message"}}` object on stdout). An unexpected error prints one line and the path of a crash
report (card data masked) and exits 70. No traceback reaches the user, whatever the input.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from terminal.cli.options import add_common, fill_defaults

# Each module has register(subparsers) and run(args) -> exit code. Imported lazily so that `posterm --help`
# stays fast and pyscard/pyserial load only when a reader is opened.
COMMANDS = [
    "terminal.cli.cmd_msr",
    "terminal.cli.cmd_sale",
    "terminal.cli.cmd_txn",
    "terminal.cli.cmd_receipt",
    "terminal.cli.cmd_journal",
    "terminal.cli.cmd_saf",
    "terminal.cli.cmd_settle",
    "terminal.cli.cmd_status",
    "terminal.cli.cmd_alerts",
    "terminal.cli.cmd_hostsim",
    "terminal.cli.cmd_demo",
    "terminal.cli.cmd_run",
    "terminal.cli.cmd_readers",
    "terminal.cli.cmd_fw",
    "terminal.cli.cmd_echo",
    "terminal.cli.cmd_health",
    "terminal.cli.cmd_config",
    "terminal.cli.cmd_training",
]

# Which module registers each command, with its one-line help: `posterm CMD ...` imports only CMD's module,
# and `posterm --help` lists the commands from here without importing any. A command missing here still works
# (its module is imported as before), only slower; tests/cli/test_command_index.py keeps this exact.
INDEX: dict[str, tuple[str, str]] = {
    "msr-emulator": ("terminal.cli.cmd_msr", "an emulated serial magstripe reader on a pty (prints its path)"),
    "sale": ("terminal.cli.cmd_sale", "one purchase"),
    "refund": ("terminal.cli.cmd_sale", "one refund"),
    "txn": ("terminal.cli.cmd_txn", "the journal"),
    "receipt": ("terminal.cli.cmd_receipt", "reprint a transaction's slip (REPRINT)"),
    "journal": ("terminal.cli.cmd_journal", "check, export, or start anew the journal"),
    "saf": ("terminal.cli.cmd_saf", "store-and-forward queue"),
    "settle": ("terminal.cli.cmd_settle", "close the batch with the host"),
    "void": ("terminal.cli.cmd_settle", "void a purchase of the open batch"),
    "status": ("terminal.cli.cmd_status", "open batch, messages waiting for the host, alerts"),
    "alerts": ("terminal.cli.cmd_alerts",
               "alerts not yet acknowledged (risk rules, key alerts, needs attention, faults)"),
    "host-sim": ("terminal.cli.cmd_hostsim", "the acquirer host simulator in the foreground"),
    "demo": ("terminal.cli.cmd_demo", "a whole sale on embedded defaults (emulated card, built-in host)"),
    "run": ("terminal.cli.cmd_run", "the operator's terminal: keypad, screen, sale after sale"),
    "readers": ("terminal.cli.cmd_readers", "PC/SC readers (with card ATR) and serial ports found"),
    "fw": ("terminal.cli.cmd_fw", "firmware tools: readers, card info, APDU traces"),
    "echo": ("terminal.cli.cmd_echo", "a network management echo (0800/301) with the host: round trip and clock"),
    "health": ("terminal.cli.cmd_health", "every health check (reader, host, clock, disk, SAF, keys, journal)"),
    "config": ("terminal.cli.cmd_config", "write a sample configuration, or check the one in use"),
    "training": ("terminal.cli.cmd_training", "training mode: guided drills and the trainee's report"),
}
# The common options that take a value: what follows them is not the command's name.
VALUE_OPTIONS = {"--config", "--data-dir", "--host", "--lang", "--log-file"}

EXIT_USAGE, EXIT_NOT_APPROVED, EXIT_DEVICE, EXIT_INTERNAL = 2, 3, 4, 70
# Commands that run on the built-in parameters whatever config exists, or check their config themselves.
NO_PREFLIGHT = {"demo", "msr-emulator", "readers", "config"}
# Commands that send to the host: the demo keys are refused unless it is on this machine.
SENDING = {"sale", "refund", "void", "settle", "run", ("saf", "flush"), "echo", "health"}
# Commands that do not touch the journal.
NO_JOURNAL = {"host-sim"}


class ArgumentError(Exception):
    """argparse's complaint, raised instead of printed so the error boundary reports it (JSON included)."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override]
        raise ArgumentError(f"{self.prog}: {message}")


class _Version(argparse.Action):
    def __init__(self, option_strings, dest, **kw):
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit", default=argparse.SUPPRESS)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"posterm {version()}")
        parser.exit(0)


def version() -> str:
    try:
        from importlib.metadata import version as v
        return v("posterm")
    except Exception:
        return "unknown (not installed)"


def command_in(argv: list[str]) -> str | None:
    """The command's name in `argv` (common options may come first), or None when there is none."""
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token in VALUE_OPTIONS:
            skip = True
        elif token == "--":
            return None
        elif not token.startswith("-"):
            return token
    return None


def modules_for(argv: list[str] | None) -> tuple[list[str], list[str]]:
    """(modules to import and register, commands to list by name only). argv None: everything, really."""
    if argv is None:
        return list(COMMANDS), []
    wanted = command_in(argv)
    if wanted in INDEX:
        return [INDEX[wanted][0]], []
    if wanted is not None:          # unknown (or not indexed): the full parser names the choices
        return list(COMMANDS), []
    indexed = {module for module, _ in INDEX.values()}
    return [m for m in COMMANDS if m not in indexed], list(INDEX)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; given the command line, only what it needs (see INDEX)."""
    parser = Parser(prog="posterm", description="Terminal-side client for card readers: EMV and magstripe, "
                    "ISO 8583 to the acquirer, store-and-forward. Exit codes: 0 approved or done, 1 declined, "
                    "2 usage or configuration, 3 not approved (reversed, pending, not sent, cancelled), "
                    "4 device, 70 internal error. See docs/cli.md.")
    parser.add_argument("--version", action=_Version)
    add_common(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    modules, listed = modules_for(argv)
    for name in listed:
        sub.add_parser(name, help=INDEX[name][1])
    for name in modules:
        importlib.import_module(name).register(sub)
    return parser


def _command_key(args: argparse.Namespace):
    for sub in ("saf_command", "txn_command", "config_command", "journal_command", "training_command"):
        if getattr(args, sub, None):
            return (args.command, getattr(args, sub))
    return args.command


def choose_language(args: argparse.Namespace) -> None:
    """The operator's language, set once before anything is shown: --lang, else LANG/LC_MESSAGES (preflight
    then puts [terminal] language above the environment once the config is read)."""
    from terminal.i18n.text import set_language
    set_language(args.lang)


def preflight(args: argparse.Namespace) -> None:
    """The configuration checked whole before anything is journaled or sent: the file (discovery, every table
    and key, TLS files, permissions), --host, [reader] spec, the demo keys against the host address, the data
    dir and its lock."""
    from terminal.cli.common import load_config
    cfg = load_config(args)
    if args.lang is None and cfg.terminal.language:
        from terminal.i18n.text import set_language
        set_language(cfg.terminal.language)
    key = _command_key(args)
    if (key in SENDING or args.command in SENDING) and not getattr(args, "training", False):
        from terminal.config import refuse_demo_keys
        refuse_demo_keys(cfg)
    if cfg.reader.spec:
        from terminal.cli.reader_spec import parse_reader
        parse_reader(cfg.reader.spec)
    if args.command not in NO_JOURNAL:
        check_data_dir(args)


def check_data_dir(args: argparse.Namespace) -> None:
    """The data dir is a writable directory (created if missing), its lock file can be opened, and the journal
    and lock are private to this user (0600)."""
    from pathlib import Path

    from terminal.cli.common import journal_path
    from terminal.config import ConfigError
    d = Path(journal_path(args))
    where = f"data dir {d}"
    if d.exists() and not d.is_dir():
        raise ConfigError(f"{where}: is not a directory (--data-dir names a file?)")
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"{where}: cannot create it: {e.strerror}") from None
    probe = d / f".posterm-write-test-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise ConfigError(f"{where}: not writable: {e.strerror}") from None
    lock = d / "posterm.lock"
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
    except OSError as e:
        raise ConfigError(f"{where}: cannot open the lock {lock}: {e.strerror}") from None
    for name in ("posterm.lock", "journal.sqlite3", "journal.sqlite3-wal", "journal.sqlite3-shm"):
        p = d / name
        try:
            if p.is_file() and p.stat().st_mode & 0o077:
                os.chmod(p, 0o600)
        except OSError:
            pass   # not ours to change: the journal's own open reports what matters


def _error_map():
    """(exception classes, exit code), most specific first. Imported only when something went wrong."""
    from drivers.errors import ReaderError
    from drivers.keypad.errors import KeyMapError, KeypadDeviceError, KeyScriptError
    from terminal.cli.common import UsageError
    from terminal.config import ConfigError
    from terminal.keypad.errors import KeypadSettingsError
    from terminal.store import StoreError
    return [((ArgumentError, UsageError, ConfigError, KeypadSettingsError, KeyScriptError, KeyMapError), EXIT_USAGE),
            ((ReaderError, KeypadDeviceError), EXIT_DEVICE),
            ((StoreError,), EXIT_NOT_APPROVED)]


def _report(json_wanted: bool, code: int, message: str, kind: str) -> None:
    """One line on stderr in the operator's language (an N_ message is translated there), and with --json the
    error object, always English: a script's view of an error does not change with the language."""
    from terminal.i18n.text import _
    from terminal.logs import mask_text
    shown = mask_text(_(message))
    message = mask_text(message)
    line = shown if shown.startswith("posterm") else f"posterm: {shown}"
    if json_wanted:
        import json
        try:
            print(json.dumps({"error": {"code": code, "kind": kind, "message": message}}), flush=True)
        except BrokenPipeError:
            from terminal.cli.common import stdout_gone
            stdout_gone()
    try:
        print(line, file=sys.stderr, flush=True)
    except (BrokenPipeError, OSError):
        pass


def _message_of(exc: BaseException) -> str:
    """The exception's message, keeping an N_ message whole (str(exc) would drop its template)."""
    first = exc.args[0] if len(exc.args) == 1 else None
    from terminal.i18n.text import Msg
    return first if isinstance(first, Msg) else (str(exc) or type(exc).__name__)


def crash_report(args: argparse.Namespace | None, argv: list[str], exc: BaseException) -> str:
    """Write what went wrong (traceback, version, command line), card data masked, to a 0600 file; its path."""
    import datetime as dt
    import tempfile
    import traceback
    from pathlib import Path

    from terminal.logs import mask_text
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    body = (f"posterm {version()} crash report\n"
            f"time: {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}\n"
            f"python: {sys.version.split()[0]}\n"
            f"command: posterm {' '.join(argv)}\n\n{text}")
    body = mask_text(body)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    dirs = []
    if args is not None:
        try:
            from terminal.cli.common import journal_path
            dirs.append(Path(journal_path(args)) / "crash")
        except Exception:
            pass
    dirs.append(Path(tempfile.gettempdir()))
    for d in dirs:
        try:
            d.mkdir(parents=True, exist_ok=True)
            path = d / f"posterm-crash-{stamp}-{os.getpid()}.txt"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(body)
            return str(path)
        except OSError:
            continue
    return "(no crash report: nowhere writable)"


def _run(argv: list[str], state: dict) -> int:
    args = fill_defaults(build_parser(argv).parse_args(argv))
    state["args"] = args
    choose_language(args)
    if args.verbose or args.log_file or args.trace_iso:
        from terminal.logs import setup
        setup(args.verbose, args.log_file, args.trace_iso)
    if args.command not in NO_PREFLIGHT:
        preflight(args)
    return int(args.run(args))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    json_wanted = "--json" in argv
    os.umask(0o077)   # the journal, its lock, logs and crash reports are this user's alone
    state: dict = {}
    try:
        return _run(argv, state)
    except SystemExit as e:   # --help, --version
        return e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_USAGE)
    except BrokenPipeError:
        from terminal.cli.common import stdout_gone
        stdout_gone()
        return 0
    except KeyboardInterrupt:
        _report(json_wanted, EXIT_NOT_APPROVED, "interrupted", "interrupted")
        return EXIT_NOT_APPROVED
    except Exception as exc:   # the one boundary
        try:
            for classes, code in _error_map():
                if isinstance(exc, classes):
                    kind = {EXIT_USAGE: "usage", EXIT_DEVICE: "device", EXIT_NOT_APPROVED: "journal"}[code]
                    _report(json_wanted, code, _message_of(exc), kind)
                    return code
        except Exception:
            pass
        path = crash_report(state.get("args"), argv, exc)
        _report(json_wanted, EXIT_INTERNAL, f"internal error ({type(exc).__name__}); crash report: {path}",
                "internal")
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
