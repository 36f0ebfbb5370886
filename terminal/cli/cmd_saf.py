"""`posterm saf status` and `posterm saf flush`: the store-and-forward queue."""
from __future__ import annotations

import argparse

from terminal.cli.common import add_common, emit, load_config, open_journal, open_link


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("saf", help="store-and-forward queue")
    ssub = p.add_subparsers(dest="saf_command", required=True)
    st = ssub.add_parser("status", help="what is waiting to reach the host")
    add_common(st)
    st.set_defaults(run=run_status)
    fl = ssub.add_parser("flush", help="deliver what is pending now")
    add_common(fl)
    fl.set_defaults(run=run_flush)


def run_status(args: argparse.Namespace) -> int:
    journal = open_journal(args)
    entries = journal.saf.undelivered()
    lines = [f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'} not yet delivered"]
    for e in entries:
        t = journal.txn(e.txn_id)
        lines.append(f"  #{e.id} {e.kind} of txn {t.id} (STAN {t.stan:06d}) as STAN {e.stan:06d}, reason {e.reason_code},"
                     f" {e.state}, {e.attempts} attempt(s){', last error: ' + e.last_error if e.last_error else ''}")
    emit(args, {"pending": [dict(id=e.id, txn_id=e.txn_id, kind=e.kind, stan=e.stan, reason_code=e.reason_code,
                                 state=e.state, attempts=e.attempts, last_error=e.last_error) for e in entries]},
         lines)
    return 0


def run_flush(args: argparse.Namespace) -> int:
    from terminal.txn.engine import Engine
    cfg = load_config(args)
    journal = open_journal(args, transacting=True)
    link = open_link(cfg)
    try:
        from terminal.txn import crashpoints
        engine = Engine(cfg, journal, link, crash=crashpoints.from_env())
        from terminal.cli.status_line import StatusLine
        if StatusLine.wanted(args):   # on a tty, without --json: "delivering to the host: n of m"
            engine.driver.progress = StatusLine()
        engine.recover()
        report = engine.drain_saf(force=True)
    finally:
        link.close()
    lines = [f"delivered {report.delivered}, still pending {report.pending}"
             + (f" ({report.error})" if report.error else "")]
    emit(args, {"delivered": report.delivered, "pending": report.pending, "error": report.error}, lines)
    return 0 if report.pending == 0 else 3
