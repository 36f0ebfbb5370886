"""Transaction rows and their history: the write-ahead insert, lifecycle-checked state changes, reads.

Write-ahead: `begin_txn` commits the row, with its STAN and all a reversal needs, in state 'sending' before
the request may leave. A row still 'sending' after a crash is in doubt; recovery (terminal/txn/recovery.py)
finds it with `txns_in_state(TxnState.SENDING)` and reverses it.

`insert` and `move` work inside a write the caller holds, so another part (the store-and-forward queue)
can put a row and its queue entry, or a state change and its entry, in one commit.
"""
from __future__ import annotations

import sqlite3

from terminal.store.alerts import Alerts
from terminal.store.counters import Counters
from terminal.store.db import Database
from terminal.store.errors import StoreError
from terminal.store.lifecycle import check_initial, check_transition
from terminal.store.risk import RiskCards
from terminal.store.rows import NewTxn, TxnRow, txn_row
from terminal.store.states import TxnState


class Transactions:
    def __init__(self, db: Database, counters: Counters, alerts: Alerts, risk: RiskCards) -> None:
        self.db = db
        self.counters = counters
        self.alerts = alerts
        self.risk = risk

    # -- writes -----------------------------------------------------------------------------------------
    def begin_txn(self, new: NewTxn) -> TxnRow:
        """The write-ahead commit: after this returns, the request may leave the terminal."""
        with self.db.write() as conn:
            txn_id, _ = self.insert(conn, new, self.db.now())
        return self.txn(txn_id)

    def insert(self, conn: sqlite3.Connection, new: NewTxn, at: str,
               response_code: str | None = None) -> tuple[int, int]:
        """A new row with its STAN and batch, and its first event, in the caller's write. Returns (id, STAN)."""
        state = check_initial(new.state)
        stan = self.counters.take_stan(conn)
        batch = self.counters.batch_in(conn)
        txn_id = conn.execute(
            "INSERT INTO txn(kind, proc_code, amount, currency, stan, local_time, transmitted, entry_mode,"
            " masked_pan, psn, batch, state, response_code, message, original_id, tsc, created_at, updated_at)"
            " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (new.kind, new.proc_code, new.amount, new.currency, stan, new.local_time.isoformat(), new.transmitted,
             new.entry_mode, new.masked_pan, new.psn, batch, state.value, response_code, new.message,
             new.original_id, new.tsc, at, at)).lastrowid
        assert txn_id is not None
        self._event(conn, txn_id, at, state, new.reason)
        self.risk.record(conn, txn_id, new.card_hash, at)
        for rule, decision, detail in new.risk:   # each risk decision journaled with the rule that fired
            self.alerts.add(conn, "risk", detail, rule=rule, decision=decision, txn_id=txn_id, stan=stan, at=at)
        return txn_id, stan

    def set_state(self, txn_id: int, state: TxnState | str, reason: str, *, response_code: str | None = None,
                  auth_code: str | None = None, rrn: str | None = None, message: str | None = None,
                  voids: int | None = None) -> None:
        """`voids`: the original an approved void removes from the batch, marked in the same commit."""
        at = self.db.now()
        with self.db.write(moves_marks=False) as conn:  # an outcome moves no high-water mark
            self.move(conn, txn_id, state, reason, at, response_code=response_code, auth_code=auth_code, rrn=rrn,
                      message=message)
            if voids is not None:
                self.move(conn, voids, TxnState.VOIDED, f"voided by transaction {txn_id}", at)

    def move(self, conn: sqlite3.Connection, txn_id: int, state: TxnState | str, reason: str, at: str, *,
             response_code: str | None = None, auth_code: str | None = None, rrn: str | None = None,
             message: str | None = None) -> None:
        """A state change the lifecycle allows, with its event, in the caller's write; refused otherwise."""
        before = conn.execute("SELECT state FROM txn WHERE id=?", (txn_id,)).fetchone()
        if before is None:
            raise StoreError(f"no transaction {txn_id} in the journal")
        after = check_transition(txn_id, before[0], state)
        conn.execute(
            "UPDATE txn SET state=?, updated_at=?, response_code=COALESCE(?, response_code),"
            " auth_code=COALESCE(?, auth_code), rrn=COALESCE(?, rrn), message=COALESCE(?, message) WHERE id=?",
            (after.value, at, response_code, auth_code, rrn, message, txn_id))
        self._event(conn, txn_id, at, after, reason)

    def note(self, txn_id: int, reason: str) -> None:
        with self.db.write(moves_marks=False) as conn:
            row = conn.execute("SELECT state FROM txn WHERE id=?", (txn_id,)).fetchone()
            if row is None:
                raise StoreError(f"no transaction {txn_id} in the journal")
            self._event(conn, txn_id, self.db.now(), TxnState(row[0]), reason)

    @staticmethod
    def _event(conn: sqlite3.Connection, txn_id: int, at: str, state: TxnState, reason: str) -> None:
        conn.execute("INSERT INTO txn_event(txn_id, at, state, reason) VALUES(?,?,?,?)",
                     (txn_id, at, state.value, reason))

    # -- reads ------------------------------------------------------------------------------------------
    def txn(self, txn_id: int) -> TxnRow:
        rows = self.db.read("SELECT * FROM txn WHERE id=?", (txn_id,))
        if not rows:
            raise StoreError(f"no transaction {txn_id} in the journal")
        return txn_row(rows[0])

    def txns(self, limit: int = 50) -> list[TxnRow]:
        """The newest first."""
        return [txn_row(r) for r in self.db.read("SELECT * FROM txn ORDER BY id DESC LIMIT ?", (limit,))]

    def txns_in_state(self, *states: TxnState | str) -> list[TxnRow]:
        """Oldest first: what a recovery step walks (TxnState.SENDING: in doubt after a crash)."""
        marks = ",".join("?" * len(states))
        return [txn_row(r) for r in self.db.read(f"SELECT * FROM txn WHERE state IN ({marks}) ORDER BY id",
                                                 tuple(str(s) for s in states))]

    def events(self, txn_id: int) -> list[tuple[str, TxnState, str]]:
        """(at, state, reason) oldest first: the history `posterm txn show` prints."""
        return [(r["at"], TxnState(r["state"]), r["reason"])
                for r in self.db.read("SELECT at, state, reason FROM txn_event WHERE txn_id=? ORDER BY id",
                                      (txn_id,))]
