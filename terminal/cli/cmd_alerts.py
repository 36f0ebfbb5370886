"""`posterm alerts [--all]` lists the alerts (风险预警) not yet acknowledged; `posterm alerts ack ID` records that
someone has dealt with one (journaled, with when). Alerts: every risk rule that fired, key alerts (63),
needs-attention entries and journal faults (terminal/store/alerts.py)."""
from __future__ import annotations

import argparse

from terminal.cli.common import UsageError, add_common, emit, open_journal


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("alerts", help="alerts not yet acknowledged (risk rules, key alerts, needs attention, faults)")
    add_common(p)
    p.add_argument("--all", action="store_true", help="acknowledged ones too (the newest 100)")
    p.set_defaults(run=run_list)
    asub = p.add_subparsers(dest="alerts_command", metavar="ACTION")
    ack = asub.add_parser("ack", help="acknowledge alert ID: someone has dealt with it (journaled)")
    ack.add_argument("id", type=int, metavar="ID")
    add_common(ack)
    ack.set_defaults(run=run_ack)


def describe(a) -> str:
    """One line for a person: when, what, and what was decided."""
    what = a.kind if a.kind != "risk" else f"risk {a.rule} ({a.decision})"
    stan = f" STAN {a.stan:06d}" if a.stan is not None else ""
    acked = f" [acknowledged {a.acked_at[:16].replace('T', ' ')}]" if a.acked_at else ""
    return f"#{a.id} {a.at[:16].replace('T', ' ')} UTC {what}{stan}: {a.text}{acked}"


def run_list(args: argparse.Namespace) -> int:
    from terminal.i18n.text import _
    journal = open_journal(args)
    rows = journal.alerts.all() if args.all else journal.alerts.open()
    lines = [_("{count} alert(s) not yet acknowledged", count=journal.alerts.open_count())]
    lines += [describe(a) for a in rows]
    if rows and not args.all:
        lines.append(_("`posterm alerts ack ID` once someone has dealt with one"))
    emit(args, {"alerts": [a.to_json() for a in rows]}, lines)
    return 0


def run_ack(args: argparse.Namespace) -> int:
    from terminal.i18n.text import _
    from terminal.store import StoreError
    journal = open_journal(args, transacting=True)
    try:
        row = journal.alerts.acknowledge(args.id)
    except StoreError as e:
        if "no alert" in str(e):
            raise UsageError(f"alerts ack: no alert {args.id} in the journal (see `posterm alerts --all`)") from None
        raise
    emit(args, {"acknowledged": row.to_json()}, [_("alert {id} acknowledged", id=row.id), describe(row)])
    return 0
