"""`posterm txn find`: the customer's question ("card ****0010 was charged 12.34 yesterday") answered in one line
per matching transaction: when, which card, how much, and where the money stands (explain.py).

The live journal and its archive are searched alike (Journal.find), so a sale settled months ago is found as
readily as this morning's.
"""
from __future__ import annotations

from terminal.i18n.dates import format_datetime
from terminal.i18n.money import format_amount
from terminal.i18n.text import _
from terminal.store import Journal, TxnRow
from terminal.txn.explain import explain


def kind_word(kind: str) -> str:
    return {"purchase": _("sale"), "refund": _("refund"), "void": _("void")}.get(kind, kind)


def answer(row: TxnRow, journal: Journal) -> str:
    """One line: '2026-11-30 14:05:12  sale CNY 12.34  card 476173******0010  #12 STAN 000012: approved and
    settled in batch 000007 on 2026-11-30 23:30'."""
    return _("{when}  {kind} {amount}  card {card}  #{id} STAN {stan}: {explanation}").format(
        when=format_datetime(row.local_time), kind=kind_word(row.kind),
        amount=format_amount(row.amount, row.currency), card=row.masked_pan, id=row.id, stan=f"{row.stan:06d}",
        explanation=explain(row, journal))


def nothing_found(asked: str) -> str:
    return _("no transaction of this terminal matches {asked}").format(asked=asked)
