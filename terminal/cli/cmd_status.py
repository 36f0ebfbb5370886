"""`posterm status`: where the terminal stands, in a few lines a merchant can act on: the open batch (what will
settle, since when), what still has to reach the host, and any alert. Reads the journal only."""
from __future__ import annotations

import argparse

from terminal.cli.common import add_common, emit, open_journal


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="open batch, messages waiting for the host, alerts")
    add_common(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from terminal.i18n.money import Amount
    from terminal.i18n.text import _
    journal = open_journal(args)
    batch = journal.current_batch()
    credits, debits = journal.batch_totals(batch)
    txns = journal.batch_txns(batch)
    pending = journal.saf_pending()  # indexed: never a scan of every delivered entry
    attention = journal.txns_in_state("needs_attention")
    alert = journal.key_alert()
    currency = txns[0].currency if txns else "156"
    since = txns[0].created_at[:16].replace("T", " ") if txns else None
    lines = []
    if alert:
        lines.append(_("ATTENTION: {alert}: the terminal's keys may be wrong, call the acquirer", alert=alert))
    if attention:
        lines.append(_("ATTENTION: {count} transaction(s) could not be told to the host: {ids} (see `posterm txn "
                       "show ID`)", count=len(attention), ids=", ".join(str(t.id) for t in attention)))
    alerts = journal.alerts.open(limit=5)
    if alerts:
        from terminal.cli.cmd_alerts import describe
        lines.append(_("{count} alert(s) not yet acknowledged (`posterm alerts`), the newest:",
                       count=journal.alerts.open_count()))
        lines += ["  " + describe(a) for a in alerts]
    if txns:
        lines.append(_("batch {batch} open since {since} UTC: {sales} sale(s) {sales_amount}, {refunds} refund(s) "
                       "{refunds_amount} settle when you run `posterm settle`", batch=f"{batch:06d}", since=since,
                       sales=debits[0], sales_amount=Amount(debits[1], currency), refunds=credits[0],
                       refunds_amount=Amount(credits[1], currency)))
    else:
        lines.append(_("batch {batch} is empty: nothing to settle", batch=f"{batch:06d}"))
    reversals = sum(e.kind == "reversal" for e in pending)
    if pending:
        lines.append(_("{count} message(s) waiting for the host ({reversals} reversal(s), {advices} advice(s)): "
                       "`posterm saf flush` delivers them now", count=len(pending), reversals=reversals,
                       advices=len(pending) - reversals))
    else:
        lines.append(_("nothing waiting for the host"))
    emit(args, {"batch": batch, "open_since": since, "debits": debits, "credits": credits,
                "saf_pending": len(pending), "reversals_pending": reversals,
                "needs_attention": [t.id for t in attention], "key_alert": alert,
                "alerts_open": journal.alerts.open_count(), "alerts": [a.to_json() for a in alerts]}, lines)
    return 0 if not (alert or attention) else 3
