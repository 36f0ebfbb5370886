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
    from terminal.i18n.money import format_amount
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
        lines.append(f"ATTENTION: {alert}: the terminal's keys may be wrong, call the acquirer")
    if attention:
        lines.append(f"ATTENTION: {len(attention)} transaction(s) could not be told to the host: "
                     f"{', '.join(str(t.id) for t in attention)} (see `posterm txn show ID`)")
    if txns:
        lines.append(f"batch {batch:06d} open since {since} UTC: {debits[0]} sale(s) "
                     f"{format_amount(debits[1], currency)}, {credits[0]} refund(s) "
                     f"{format_amount(credits[1], currency)} settle when you run `posterm settle`")
    else:
        lines.append(f"batch {batch:06d} is empty: nothing to settle")
    reversals = sum(e.kind == "reversal" for e in pending)
    if pending:
        lines.append(f"{len(pending)} message(s) waiting for the host ({reversals} reversal(s), "
                     f"{len(pending) - reversals} advice(s)): `posterm saf flush` delivers them now")
    else:
        lines.append("nothing waiting for the host")
    emit(args, {"batch": batch, "open_since": since, "debits": debits, "credits": credits,
                "saf_pending": len(pending), "reversals_pending": reversals,
                "needs_attention": [t.id for t in attention], "key_alert": alert}, lines)
    return 0 if not (alert or attention) else 3
