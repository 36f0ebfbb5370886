"""The batch and its settlement: what the host will count, the 0500's write-ahead row and its outcome.

A batch holds the purchases and refunds the host approved, or will hear of as approved (an advice still on
its way); a voided or reversed transaction counts nowhere. A settlement that closes in balance opens the next
batch in the same commit, so no sale can land in a batch the host has already closed.
"""
from __future__ import annotations

import datetime as dt

from terminal.store.counters import Counters
from terminal.store.db import Database
from terminal.store.rows import TxnRow, txn_row
from terminal.store.states import SettlementState, TxnState

PURCHASE, REFUND = "000000", "200000"  # processing codes (field 3) the batch totals count
TOTALLED = (TxnState.APPROVED, TxnState.OFFLINE_APPROVED, TxnState.ADVICE_PENDING)
UPLOADED = (TxnState.APPROVED, TxnState.OFFLINE_APPROVED)  # an advice still pending has no host RRN yet


def _marks(states: tuple[TxnState, ...]) -> str:
    return ",".join("?" * len(states))


class Batches:
    def __init__(self, db: Database, counters: Counters) -> None:
        self.db = db
        self.counters = counters

    def current(self) -> int:
        return self.counters.current_batch()

    def totals(self, batch: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """(credits count, amount), (debits count, amount): approved refunds and purchases of the batch, as the
        host counts them."""
        def total(proc: str) -> tuple[int, int]:
            r = self.db.read("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM txn WHERE batch=? AND proc_code=?"
                             f" AND state IN ({_marks(TOTALLED)})", (batch, proc, *TOTALLED))[0]
            return int(r[0]), int(r[1])
        return total(REFUND), total(PURCHASE)

    def txns(self, batch: int) -> list[TxnRow]:
        """What a batch upload (0320) sends, oldest first."""
        return [txn_row(r) for r in self.db.read(
            f"SELECT * FROM txn WHERE batch=? AND proc_code IN (?, ?) AND state IN ({_marks(UPLOADED)})"
            " ORDER BY id", (batch, PURCHASE, REFUND, *UPLOADED))]

    def oldest(self, batch: int) -> dt.datetime | None:
        """The local time of the batch's oldest transaction, or None when it has none: is there anything of
        before the automatic settlement's time still open (terminal/txn/auto_settle.py)? Through txn_batch."""
        rows = self.db.read("SELECT MIN(local_time) FROM txn WHERE batch=?", (batch,))
        return dt.datetime.fromisoformat(rows[0][0]) if rows and rows[0][0] else None

    def slip_rows(self, batch: int) -> list[TxnRow]:
        """What a settlement slip counts, oldest first: the batch's purchases and refunds as the host counts them,
        and its voided purchases (shown apart: a void removes its original from the totals)."""
        states = (*TOTALLED, TxnState.VOIDED)
        return [txn_row(r) for r in self.db.read(
            f"SELECT * FROM txn WHERE batch=? AND proc_code IN (?, ?) AND state IN ({_marks(states)}) ORDER BY id",
            (batch, PURCHASE, REFUND, *states))]

    def begin_settlement(self, batch: int, credits: tuple[int, int], debits: tuple[int, int]) -> tuple[int, int]:
        """Write-ahead for the 0500: (settlement id, STAN)."""
        at = self.db.now()
        with self.db.write() as conn:
            stan = self.counters.take_stan(conn)
            sid = conn.execute(
                "INSERT INTO settlement(batch, stan, credits_count, credits_amount, debits_count, debits_amount,"
                " state, created_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?)",
                (batch, stan, credits[0], credits[1], debits[0], debits[1], SettlementState.SENDING.value, at,
                 at)).lastrowid
        assert sid is not None
        return sid, stan

    def end_settlement(self, sid: int, state: SettlementState | str, response_code: str | None,
                       reason: str) -> None:
        """Record the 0510's answer; 'closed' also opens the next batch, in the same commit."""
        state = SettlementState(state)
        with self.db.write() as conn:
            conn.execute("UPDATE settlement SET state=?, response_code=?, reason=?, updated_at=? WHERE id=?",
                         (state.value, response_code, reason, self.db.now(), sid))
            if state is SettlementState.CLOSED:
                batch = conn.execute("SELECT batch FROM settlement WHERE id=?", (sid,)).fetchone()[0]
                self.counters.open_next_batch(conn, int(batch))

    def closed_at(self, batch: int) -> str | None:
        """When the host closed `batch` (UTC, the journal's timestamp form), or None while it is open. The
        settlement rows stay in the live journal when the batch's transactions move to the archive, so an
        archived sale still says when it settled. Indexed: settlement(batch)."""
        rows = self.db.read("SELECT updated_at FROM settlement WHERE batch=? AND state=? ORDER BY id DESC LIMIT 1",
                            (batch, SettlementState.CLOSED.value))
        return rows[0][0] if rows else None

    def settlements(self) -> list[dict]:
        return [dict(r) for r in self.db.read("SELECT * FROM settlement ORDER BY id")]
