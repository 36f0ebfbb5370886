"""What the risk rules read from the journal, and the card hashes they read it by (terminal/risk).

A card's hash row is written in the same commit as its transaction row (Transactions.insert), and hashes older
than `keep_s` (the policy's longest window) are erased in that same commit: no commit and no fsync of their
own. The reads are indexed (risk_card_hash, txn_batch) so the check before a sale costs two index lookups.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from terminal.store.db import Database

COUNTED = ("approved", "advice_pending", "offline_approved", "sending", "reversal_pending")


@dataclass(frozen=True)
class CardTxn:
    """A transaction of one card (by hash), for the rules: no card data."""
    txn_id: int
    stan: int
    kind: str
    amount: int
    state: str
    at: str           # UTC ISO, when its row was written
    local_time: str


class RiskCards:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.keep_s: int = 24 * 3600   # set from the policy's longest window by whoever runs the sales

    def record(self, conn: sqlite3.Connection, txn_id: int, card_hash: str | None, at: str) -> None:
        """In the caller's write: this transaction's card hash, and the erasure of those past any window."""
        cutoff = _before(at, self.keep_s)
        conn.execute("DELETE FROM risk_card WHERE at < ?", (cutoff,))
        if card_hash:
            conn.execute("INSERT INTO risk_card(txn_id, card_hash, at) VALUES(?,?,?)", (txn_id, card_hash, at))

    def erase_old(self, now: str) -> int:
        """The upkeep path (a terminal with no sales for days; run after a closing settlement): hashes past
        every window go. No commit at all when there is none to erase."""
        cutoff = _before(now, self.keep_s)
        if not self.db.read("SELECT 1 FROM risk_card WHERE at < ? LIMIT 1", (cutoff,)):
            return 0
        with self.db.write() as conn:
            return conn.execute("DELETE FROM risk_card WHERE at < ?", (cutoff,)).rowcount

    def recent(self, card_hash: str, since: str) -> list[CardTxn]:
        """That card's transactions since `since` (UTC ISO), oldest first."""
        rows = self.db.read(
            "SELECT txn.id, txn.stan, txn.kind, txn.amount, txn.state, risk_card.at, txn.local_time"
            " FROM risk_card JOIN txn ON txn.id = risk_card.txn_id"
            " WHERE risk_card.card_hash = ? AND risk_card.at >= ? ORDER BY risk_card.at", (card_hash, since))
        return [CardTxn(*r) for r in rows]

    def refunds_since(self, since_local: str) -> int:
        """Refunds approved (or in flight) since `since_local` (local midnight): the day's refund total, across
        a settlement in the middle of the day (index txn_kind_time)."""
        marks = ",".join("?" * len(COUNTED))
        rows = self.db.read(f"SELECT COALESCE(SUM(amount), 0) FROM txn WHERE kind='refund' AND local_time >= ?"
                            f" AND state IN ({marks})", (since_local, *COUNTED))
        return int(rows[0][0])


def _before(at: str, seconds: int) -> str:
    return (dt.datetime.fromisoformat(at) - dt.timedelta(seconds=seconds)).isoformat(timespec="milliseconds")
