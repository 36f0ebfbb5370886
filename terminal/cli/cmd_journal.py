"""`posterm journal check|export|new`: the journal for the acquirer's help desk, and a new one on purpose.

check   SQLite integrity check, the journal's identity (terminal, creation, high-water marks), the lifecycle's
        invariants over every row; exit 0 when all hold, 3 when something is wrong (each finding one line).
export  one JSON object per transaction (history, store-and-forward entries), PAN masked, no card data.
new     keep the current journal aside (renamed, never deleted) and start a new one above its STAN and batch;
        refused while the old one still owes the host a message, unless --force.
"""
from __future__ import annotations

import argparse
import sys

from terminal.cli.common import UsageError, add_common, emit, journal_path, load_config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("journal", help="check, export, or start anew the journal")
    jsub = p.add_subparsers(dest="journal_command", required=True)
    cp = jsub.add_parser("check", help="integrity, identity and lifecycle invariants of the journal")
    add_common(cp)
    cp.set_defaults(run=run_check)
    ep = jsub.add_parser("export", help="every transaction as JSON lines, PAN masked")
    add_common(ep)
    ep.set_defaults(run=run_export)
    np_ = jsub.add_parser("new", help="keep the journal aside and start a new one above its STAN and batch")
    np_.add_argument("--force", action="store_true", help="even if the old journal still owes the host messages")
    add_common(np_)
    np_.set_defaults(run=run_new)


def _path(args: argparse.Namespace):
    return journal_path(args) / "journal.sqlite3"


def run_check(args: argparse.Namespace) -> int:
    from terminal.store.upkeep import check
    good, bad = check(_path(args))
    emit(args, {"ok": not bad, "good": good, "problems": bad},
         [f"ok: {g}" for g in good] + [f"PROBLEM: {b}" for b in bad])
    return 0 if not bad else 3


def run_export(args: argparse.Namespace) -> int:
    from terminal.store.upkeep import export
    path = _path(args)
    if not path.exists():
        raise UsageError(f"journal {path} does not exist: nothing to export")
    from terminal.store import StoreError
    try:
        for line in export(path):
            sys.stdout.write(line + "\n")
    except Exception as e:  # sqlite3.Error: a damaged file; say so in one line
        if isinstance(e, StoreError) or type(e).__module__ == "sqlite3":
            raise StoreError(f"journal {path}: cannot export: {e}") from None
        raise
    return 0


def run_new(args: argparse.Namespace) -> int:
    from terminal.cli.common import _lock_data_dir
    from terminal.store import StoreError
    from terminal.store.upkeep import start_new
    cfg = load_config(args)
    _lock_data_dir(journal_path(args))
    try:
        ident, kept = start_new(_path(args), cfg.terminal.id, force=args.force)
    except StoreError as e:
        raise UsageError(str(e)) from None
    last = ident.previous[-1]
    emit(args, {"creation_id": ident.creation_id, "kept_aside": [str(k) for k in kept], "stan": ident.stan,
                "batch": ident.batch},
         [f"new journal {ident.creation_id} for terminal {ident.terminal_id}: next STAN {ident.stan % 999999 + 1:06d},"
          f" batch {ident.batch:06d}",
          f"the old journal (last STAN {last['stan']:06d}, batch {last['batch']:06d}, transaction {last['txn_id']})"
          f" is kept as {', '.join(k.name for k in kept) or '(nothing was there)'}"])
    return 0
