"""The store-and-forward queue: reversals and advices kept until the host acknowledges them.

Every entry is written in the same commit as the state change that needs it, so a reversal is never decided
without being queued, and an offline approval never exists without its advice. Delivery order, backoff and
expiry are decided by terminal/txn/saf.py; this part only records them.
"""
from __future__ import annotations

import dataclasses
import sqlite3
from typing import Callable, Sequence

from terminal.store.counters import Counters
from terminal.store.db import Database
from terminal.store.errors import StoreError
from terminal.store.rows import NewTxn, SafOutcome, SafRow, TxnRow, saf_row, txn_row
from terminal.store.states import SafKind, SafState, TxnState
from terminal.store.transactions import Transactions

_SAF_COLUMNS = ("id", "txn_id", "kind", "stan", "reason_code", "sealed", "attempts", "next_at", "state",
                "last_error", "created_at")


class SafQueue:
    def __init__(self, db: Database, counters: Counters, txns: Transactions) -> None:
        self.db = db
        self.counters = counters
        self.txns = txns

    # -- queueing ---------------------------------------------------------------------------------------
    def queue(self, txn_id: int, kind: SafKind | str, reason_code: str, state: TxnState | str, reason: str,
              sealed: bytes | None = None, message: str | None = None) -> SafRow:
        """Queue a reversal or advice and move the transaction to `state`, in one commit. A reversal takes a
        STAN of its own; an advice goes with its transaction's."""
        kind = SafKind(kind)
        at = self.db.now()
        with self.db.write() as conn:
            stan = self.counters.take_stan(conn) if kind is SafKind.REVERSAL else self._stan_of(conn, txn_id)
            saf_id = self._insert(conn, txn_id, kind, stan, reason_code, sealed, at)
            self.txns.move(conn, txn_id, state, reason, at, message=message)
        return self.entry(saf_id)

    def begin_offline(self, new: NewTxn, chip_code: str, seal: Callable[[int], bytes]) -> TxnRow:
        """An offline approval and its advice, in ONE commit: a crash can never leave an approval the host
        will not hear about. `seal(txn_id)` encrypts the advice's card data bound to the new row. The row's
        state and first reason are the offline approval's, whatever `new` says."""
        new = dataclasses.replace(new, state=TxnState.ADVICE_PENDING,
                                  reason=f"approved offline by the chip ({chip_code}); advice queued")
        at = self.db.now()
        with self.db.write() as conn:
            txn_id, stan = self.txns.insert(conn, new, at, response_code=chip_code)
            self._insert(conn, txn_id, SafKind.ADVICE, stan, chip_code, seal(txn_id), at)
        return self.txns.txn(txn_id)

    def to_offline(self, txn_id: int, chip_code: str, seal: Callable[[int], bytes], message: str) -> TxnRow:
        """A chip sale whose 0200 never left (host unreachable) that the card then approved offline (Y3): the
        same row becomes an offline approval and its advice is queued with the row's STAN, in one commit."""
        at = self.db.now()
        with self.db.write() as conn:
            row = conn.execute("SELECT stan FROM txn WHERE id=? AND state=?",
                               (txn_id, TxnState.NOT_SENT.value)).fetchone()
            if row is None:
                raise StoreError(f"transaction {txn_id} was sent or is not in the journal: it cannot turn offline")
            conn.execute("UPDATE txn SET response_code=? WHERE id=?", (chip_code, txn_id))
            self.txns.move(conn, txn_id, TxnState.ADVICE_PENDING,
                           f"host unreachable, approved offline by the chip ({chip_code}); advice queued", at,
                           message=message)
            self._insert(conn, txn_id, SafKind.ADVICE, row[0], chip_code, seal(txn_id), at)
        return self.txns.txn(txn_id)

    @staticmethod
    def _stan_of(conn: sqlite3.Connection, txn_id: int) -> int:
        row = conn.execute("SELECT stan FROM txn WHERE id=?", (txn_id,)).fetchone()
        if row is None:
            raise StoreError(f"no transaction {txn_id} in the journal")
        return int(row[0])

    @staticmethod
    def _insert(conn: sqlite3.Connection, txn_id: int, kind: SafKind, stan: int, reason_code: str,
                sealed: bytes | None, at: str) -> int:
        saf_id = conn.execute(
            "INSERT INTO saf(txn_id, kind, stan, reason_code, sealed, created_at, updated_at) VALUES(?,?,?,?,?,?,?)",
            (txn_id, kind.value, stan, reason_code, sealed, at, at)).lastrowid
        assert saf_id is not None
        return saf_id

    # -- delivery records -------------------------------------------------------------------------------
    def record(self, done: SafOutcome | None = None, attempt: tuple[int, float] | None = None) -> None:
        """One commit for the outcome of the entry just delivered and/or the attempt about to be made on the
        next one. The attempt is committed before its message is sent, so a crash mid-send still makes the
        next try a repeat. Folding the previous outcome into it saves one fsync per message; if the process
        dies before that commit, the delivered entry is simply sent again as a repeat and the host answers it
        idempotently."""
        self.record_many([done] if done else [], [attempt] if attempt else [])

    def record_many(self, done: Sequence[SafOutcome], attempts: Sequence[tuple[int, float]]) -> None:
        """record() for a window (txn/saf_window.py): the outcomes of every answer that came in and the attempts
        of every message about to leave, in ONE commit."""
        if not done and not attempts:
            return
        at = self.db.now()
        with self.db.write(moves_marks=False) as conn:  # delivery records take no STAN and add no row
            for d in done:
                state = SafState(d.state)
                conn.execute("UPDATE saf SET state=?, sealed=CASE WHEN ? THEN NULL ELSE sealed END, updated_at=?"
                             " WHERE id=?", (state.value, state is SafState.DELIVERED, at, d.saf_id))
                self.txns.move(conn, d.txn_id, d.txn_state, d.reason, at, rrn=d.rrn)
                if state is SafState.NEEDS_ATTENTION:
                    stan = conn.execute("SELECT stan FROM saf WHERE id=?", (d.saf_id,)).fetchone()[0]
                    self.txns.alerts.add(conn, "needs_attention", f"store-and-forward gave up: {d.reason}",
                                         txn_id=d.txn_id, stan=stan, at=at)
            for saf_id, next_at in attempts:
                conn.execute("UPDATE saf SET attempts=attempts+1, next_at=?, updated_at=? WHERE id=?",
                             (next_at, at, saf_id))

    def attempt(self, saf_id: int, next_at: float) -> None:
        self.record(attempt=(saf_id, next_at))

    def note(self, saf_id: int, error: str, next_at: float | None = None) -> None:
        """Why the last attempt failed (and when to try again), for `posterm saf`."""
        with self.db.write(moves_marks=False) as conn:
            conn.execute("UPDATE saf SET last_error=?, next_at=COALESCE(?, next_at), updated_at=? WHERE id=?",
                         (error, next_at, self.db.now(), saf_id))

    def done(self, entry: SafRow, txn_state: TxnState | str, reason: str, *,
             state: SafState | str = SafState.DELIVERED) -> None:
        """Delivered (card data erased in the same commit), or given up as needs_attention (kept)."""
        self.record(done=SafOutcome(entry.id, entry.txn_id, txn_state, reason, state))

    # -- reads ------------------------------------------------------------------------------------------
    def entry(self, saf_id: int) -> SafRow:
        rows = self.db.read("SELECT * FROM saf WHERE id=?", (saf_id,))
        if not rows:
            raise StoreError(f"no store-and-forward entry {saf_id} in the journal")
        return saf_row(rows[0])

    def pending_with_txn(self) -> list[tuple[SafRow, TxnRow]]:
        """Pending entries with their transactions, in one query (the drain needs both for every message)."""
        cols = ", ".join(f"saf.{c} AS saf_{c}" for c in _SAF_COLUMNS)
        rows = self.db.read(f"SELECT {cols}, txn.* FROM saf JOIN txn ON txn.id = saf.txn_id"
                            " WHERE saf.state=? ORDER BY saf.id", (SafState.PENDING.value,))
        out = []
        for r in rows:
            d = dict(r)
            entry = {c: d.pop(f"saf_{c}") for c in _SAF_COLUMNS}
            out.append((saf_row(entry), txn_row(d)))
        return out

    def pending(self) -> list[SafRow]:
        return [saf_row(r) for r in self.db.read("SELECT * FROM saf WHERE state=? ORDER BY id",
                                                 (SafState.PENDING.value,))]

    def count_pending(self) -> int:
        """How many entries wait for the host (the saf_pending index): the backlog the READY screen shows."""
        return int(self.db.read("SELECT COUNT(*) FROM saf WHERE state=?", (SafState.PENDING.value,))[0][0])

    def undelivered(self) -> list[SafRow]:
        """Pending and needs-attention entries, oldest first (through the saf_pending index)."""
        return [saf_row(r) for r in self.db.read("SELECT * FROM saf WHERE state IN (?, ?) ORDER BY id",
                                                 (SafState.PENDING.value, SafState.NEEDS_ATTENTION.value))]

    def for_txn(self, txn_id: int) -> list[SafRow]:
        """A transaction's entries, oldest first (through the saf_txn index)."""
        return [saf_row(r) for r in self.db.read("SELECT * FROM saf WHERE txn_id=? ORDER BY id", (txn_id,))]

    def all(self) -> list[SafRow]:
        return [saf_row(r) for r in self.db.read("SELECT * FROM saf ORDER BY id")]
