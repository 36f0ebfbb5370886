"""Finding transactions: the filters of `posterm txn list` and `posterm txn find` as one indexed query, run on
the live journal and on its archive alike.

The question a merchant brings is "card ****0010 was charged 12.34 yesterday": a date (the terminal's local
date, the one printed on the slip and sent in fields 12/13), an amount in minor units and the card's last four
digits. Each filter alone is answered through an index (schema.sql: txn_local_time, txn_amount, txn_card,
txn_state, txn_batch); txn_card holds a card's rows in time order (last four, then local time), so the whole
question reads only that card's rows of that day, already in the order shown. A journal of a million rows
answers as fast as an empty one; the archive carries the same indexes (archive.py).

The card's last four are matched as `substr(masked_pan, -4)`, the expression txn_card is built on: a
`LIKE '%0010'` could not use any index.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

LAST4 = "substr(masked_pan, -4)"  # must stay the expression of the txn_card index, or the index is not used


@dataclass(frozen=True)
class TxnFilter:
    """What to look for; None (or empty) means any. Times are the terminal's local wall time (txn.local_time)."""

    since: dt.datetime | None = None     # inclusive
    until: dt.datetime | None = None     # exclusive
    amount: int | None = None            # minor units, in `currency`
    currency: str | None = None
    last4: str | None = None
    states: tuple[str, ...] = ()
    batch: int | None = None

    @property
    def empty(self) -> bool:
        return self == TxnFilter()


def where(f: TxnFilter) -> tuple[str, tuple]:
    """The WHERE clause (with its arguments) of a filter; '1' when it filters nothing."""
    terms: list[str] = []
    args: list[object] = []
    if f.since is not None:
        terms.append("local_time >= ?")
        args.append(f.since.isoformat())
    if f.until is not None:
        terms.append("local_time < ?")
        args.append(f.until.isoformat())
    if f.amount is not None:
        terms.append("amount = ?")
        args.append(f.amount)
        if f.currency is not None:
            terms.append("currency = ?")
            args.append(f.currency)
    if f.last4 is not None:
        terms.append(f"{LAST4} = ?")
        args.append(f.last4)
    if f.states:
        terms.append(f"state IN ({','.join('?' * len(f.states))})")
        args.extend(f.states)
    if f.batch is not None:
        terms.append("batch = ?")
        args.append(f.batch)
    return (" AND ".join(terms) or "1"), tuple(args)


def by_time(f: TxnFilter) -> bool:
    return f.since is not None or f.until is not None or f.last4 is not None


def order(f: TxnFilter) -> str:
    """Newest first. With a time range or a card, by local time: the txn_local_time or txn_card index then
    yields the rows in that order and the LIMIT stops the walk early (ordered by id, SQLite would walk the
    table backwards from the newest row, past every row newer than `--to`, or sort every row of the card).
    Ids and local times run together, except across a clock change."""
    return "local_time DESC, id DESC" if by_time(f) else "id DESC"


def select(conn: sqlite3.Connection, f: TxnFilter, limit: int) -> list[sqlite3.Row]:
    """The newest `limit` rows of table txn on `conn` that match, newest first."""
    clause, args = where(f)
    return conn.execute(f"SELECT * FROM txn WHERE {clause} ORDER BY {order(f)} LIMIT ?", (*args, limit)).fetchall()
