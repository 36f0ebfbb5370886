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
    from terminal.i18n.text import _
    from terminal.txn.saf import KIND_WORDS as SAF_KINDS
    lines = [_("{count} entry not yet delivered", count=1) if len(entries) == 1 else
             _("{count} entries not yet delivered", count=len(entries))]
    for e in entries:
        t = journal.txn(e.txn_id)
        line = _("#{id} {kind} of txn {txn} (STAN {stan}) as STAN {saf_stan}, reason {reason}, {state}, {attempts} "
                 "attempt(s)", id=e.id, kind=_(SAF_KINDS.get(e.kind, e.kind)), txn=t.id, stan=f"{t.stan:06d}",
                 saf_stan=f"{e.stan:06d}", reason=e.reason_code, state=e.state, attempts=e.attempts)
        lines.append("  " + line + (_(", last error: {error}", error=e.last_error) if e.last_error else ""))
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
    from terminal.i18n.text import _
    lines = [_("delivered {delivered}, still pending {pending}", delivered=report.delivered, pending=report.pending)
             + (f" ({report.error})" if report.error else "")]
    emit(args, {"delivered": report.delivered, "pending": report.pending, "error": report.error}, lines)
    return 0 if report.pending == 0 else 3
