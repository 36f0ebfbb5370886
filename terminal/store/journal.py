"""The journal. Every change is one short IMMEDIATE transaction, committed (fsynced) before the caller acts.

Write-ahead: `begin` commits the transaction's row, with its STAN and all a reversal needs, in state
'sending' before the request may leave. A row still 'sending' after a crash is in doubt and is reversed on
start. synchronous=FULL is set on every open because SQLite keeps it per connection.

A failed commit (disk full, I/O error) closes the connection and raises StoreError; the same commit is never
retried on that connection (after an fsync failure the page cache may lie about what reached the disk).
"""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Callable, Iterator

from terminal.store.errors import StoreError
from terminal.store.lifecycle import check_initial, check_transition

STAN_MAX = 999_999



@dataclass(frozen=True)
class TxnRow:
    id: int
    kind: str
    proc_code: str
    amount: int
    currency: str
    stan: int
    local_time: dt.datetime
    transmitted: str
    entry_mode: str
    masked_pan: str
    psn: str | None
    batch: int
    state: str
    response_code: str | None
    auth_code: str | None
    rrn: str | None
    message: str
    original_id: int | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class SafRow:
    id: int
    txn_id: int
    kind: str
    stan: int
    reason_code: str
    sealed: bytes | None
    attempts: int
    next_at: float
    state: str
    last_error: str
    created_at: str


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


class Journal:
    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._open()

    # -- connection -----------------------------------------------------------------------------------
    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.executescript(files("terminal.store").joinpath("schema.sql").read_text())
        except (sqlite3.Error, OSError) as e:
            raise StoreError(f"journal {self.path}: cannot open: {e}{self._disk_hint()}") from None
        conn.row_factory = sqlite3.Row
        self._conn = conn

    def _disk_hint(self) -> str:
        """SQLite often says only 'disk I/O error' when the disk is full: say so when it is."""
        try:
            st = os.statvfs(self.path.parent)
        except OSError:
            return ""
        free = st.f_bavail * st.f_frsize
        return f" (the disk is full: {free // 1024} KiB free)" if free < 1024 * 1024 else ""

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        if self._conn is None:
            self._open()
        conn = self._conn
        assert conn is not None
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            # Never retry on this connection: drop it, the next call reopens.
            try:
                conn.close()
            finally:
                self._conn = None
            raise StoreError(f"journal {self.path}: write failed, nothing recorded: {e}{self._disk_hint()}") from None
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _read(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        if self._conn is None:
            self._open()
        assert self._conn is not None
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.Error as e:
            raise StoreError(f"journal {self.path}: read failed: {e}") from None

    # -- counters ---------------------------------------------------------------------------------------
    @staticmethod
    def _next_stan(conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT value FROM meta WHERE key='stan'").fetchone()
        stan = int(row[0]) % STAN_MAX + 1 if row else 1
        conn.execute("INSERT INTO meta(key, value) VALUES('stan', ?) "
                     "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (str(stan),))
        return stan

    def raise_key_alert(self, why: str) -> None:
        """The host refused our MAC (63): the key set needs attention. Kept until someone clears it."""
        with self._write() as conn:
            conn.execute("INSERT INTO meta(key, value) VALUES('key_alert', ?) "
                         "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (f"{_now()} {why}",))

    def clear_key_alert(self) -> str | None:
        """Someone has dealt with the keys: the alert goes, its text is returned for the record."""
        alert = self.key_alert()
        with self._write() as conn:
            conn.execute("DELETE FROM meta WHERE key='key_alert'")
        return alert

    def key_alert(self) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key='key_alert'")
        return rows[0][0] if rows else None

    def current_batch(self) -> int:
        rows = self._read("SELECT value FROM meta WHERE key='batch'")
        return int(rows[0][0]) if rows else 1

    def next_stan(self) -> int:
        """A STAN for a request that has no row of its own (sign-on, settlement)."""
        with self._write() as conn:
            return self._next_stan(conn)

    def batch_totals(self, batch: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """(credits count, amount), (debits count, amount): approved refunds and purchases of the batch, as the
        host counts them (a voided or reversed transaction counts nowhere)."""
        def total(proc: str) -> tuple[int, int]:
            r = self._read("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM txn WHERE batch=? AND proc_code=?"
                           " AND state IN ('approved', 'offline_approved', 'advice_pending')", (batch, proc))[0]
            return int(r[0]), int(r[1])
        return total("200000"), total("000000")

    def batch_txns(self, batch: int) -> list[TxnRow]:
        return [_txn_row(r) for r in self._read(
            "SELECT * FROM txn WHERE batch=? AND proc_code IN ('000000', '200000')"
            " AND state IN ('approved', 'offline_approved') ORDER BY id", (batch,))]

    def begin_settlement(self, batch: int, credits: tuple[int, int], debits: tuple[int, int]) -> tuple[int, int]:
        """Write-ahead for the 0500: (settlement id, STAN)."""
        now = _now()
        with self._write() as conn:
            stan = self._next_stan(conn)
            sid = conn.execute(
                "INSERT INTO settlement(batch, stan, credits_count, credits_amount, debits_count, debits_amount,"
                " state, created_at, updated_at) VALUES(?,?,?,?,?,?,'sending',?,?)",
                (batch, stan, credits[0], credits[1], debits[0], debits[1], now, now)).lastrowid
        return sid, stan

    def end_settlement(self, sid: int, state: str, response_code: str | None, reason: str) -> None:
        """Record the 0510's answer; 'closed' also opens the next batch, in the same commit."""
        with self._write() as conn:
            conn.execute("UPDATE settlement SET state=?, response_code=?, reason=?, updated_at=? WHERE id=?",
                         (state, response_code, reason, _now(), sid))
            if state == "closed":
                batch = conn.execute("SELECT batch FROM settlement WHERE id=?", (sid,)).fetchone()[0]
                conn.execute("INSERT INTO meta(key, value) VALUES('batch', ?) "
                             "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (str(batch % 999_999 + 1),))

    def settlements(self) -> list[dict]:
        return [dict(r) for r in self._read("SELECT * FROM settlement ORDER BY id")]

    # -- transactions -------------------------------------------------------------------------------------
    def begin(self, *, kind: str, proc_code: str, amount: int, currency: str, local_time: dt.datetime,
              transmitted: str, entry_mode: str, masked_pan: str, psn: str | None = None,
              original_id: int | None = None, state: str = "sending", reason: str = "request about to be sent",
              message: str = "") -> TxnRow:
        """The write-ahead commit: after this returns, the request may leave the terminal."""
        now = _now()
        with self._write() as conn:
            txn_id, _ = self._insert_txn(conn, now, kind, proc_code, amount, currency, local_time, transmitted,
                                         entry_mode, masked_pan, psn, original_id, state, reason, message, None)
        return self.txn(txn_id)

    def begin_offline(self, *, kind: str, proc_code: str, amount: int, currency: str, local_time: dt.datetime,
                      entry_mode: str, masked_pan: str, psn: str | None, chip_code: str,
                      seal: Callable[[int], bytes], message: str) -> TxnRow:
        """An offline approval and its advice, in ONE commit: a crash can never leave an approval the host
        will not hear about. `seal(txn_id)` encrypts the advice's card data bound to the new row."""
        now = _now()
        with self._write() as conn:
            txn_id, stan = self._insert_txn(
                conn, now, kind, proc_code, amount, currency, local_time, "", entry_mode, masked_pan, psn, None,
                "advice_pending", f"approved offline by the chip ({chip_code}); advice queued", message, chip_code)
            conn.execute("INSERT INTO saf(txn_id, kind, stan, reason_code, sealed, created_at, updated_at)"
                         " VALUES(?,?,?,?,?,?,?)", (txn_id, "advice", stan, chip_code, seal(txn_id), now, now))
        return self.txn(txn_id)

    def to_offline(self, txn_id: int, chip_code: str, seal: Callable[[int], bytes], message: str) -> TxnRow:
        """A chip sale whose 0200 never left (host unreachable) that the card then approved offline (Y3): the
        same row becomes an offline approval and its advice is queued with the row's STAN, in one commit."""
        now = _now()
        with self._write() as conn:
            stan = conn.execute("SELECT stan FROM txn WHERE id=? AND state='not_sent'", (txn_id,)).fetchone()
            if stan is None:
                raise StoreError(f"transaction {txn_id} was sent or is not in the journal: it cannot turn offline")
            conn.execute("UPDATE txn SET response_code=? WHERE id=?", (chip_code, txn_id))
            self._set_state(conn, txn_id, "advice_pending",
                            f"host unreachable, approved offline by the chip ({chip_code}); advice queued", now,
                            message=message)
            conn.execute("INSERT INTO saf(txn_id, kind, stan, reason_code, sealed, created_at, updated_at)"
                         " VALUES(?,?,?,?,?,?,?)", (txn_id, "advice", stan[0], chip_code, seal(txn_id), now, now))
        return self.txn(txn_id)

    def _insert_txn(self, conn, now, kind, proc_code, amount, currency, local_time, transmitted, entry_mode,
                    masked_pan, psn, original_id, state, reason, message, response_code) -> tuple[int, int]:
        """A new row with its STAN and batch, and its first event. Returns (id, STAN)."""
        check_initial(state)
        stan = self._next_stan(conn)
        batch = int((conn.execute("SELECT value FROM meta WHERE key='batch'").fetchone() or [1])[0])
        txn_id = conn.execute(
            "INSERT INTO txn(kind, proc_code, amount, currency, stan, local_time, transmitted, entry_mode,"
            " masked_pan, psn, batch, state, response_code, message, original_id, created_at, updated_at)"
            " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (kind, proc_code, amount, currency, stan, local_time.isoformat(), transmitted, entry_mode, masked_pan,
             psn, batch, state, response_code, message, original_id, now, now)).lastrowid
        conn.execute("INSERT INTO txn_event(txn_id, at, state, reason) VALUES(?,?,?,?)", (txn_id, now, state, reason))
        return txn_id, stan

    def set_state(self, txn_id: int, state: str, reason: str, *, response_code: str | None = None,
                  auth_code: str | None = None, rrn: str | None = None, message: str | None = None,
                  voids: int | None = None) -> None:
        """`voids`: the original an approved void removes from the batch, marked in the same commit."""
        now = _now()
        with self._write() as conn:
            self._set_state(conn, txn_id, state, reason, now, response_code, auth_code, rrn, message)
            if voids is not None:
                self._set_state(conn, voids, "voided", f"voided by transaction {txn_id}", now)

    @staticmethod
    def _set_state(conn, txn_id, state, reason, now, response_code=None, auth_code=None, rrn=None, message=None):
        before = conn.execute("SELECT state FROM txn WHERE id=?", (txn_id,)).fetchone()
        if before is None:
            raise StoreError(f"no transaction {txn_id} in the journal")
        check_transition(txn_id, before[0], state)
        conn.execute(
            "UPDATE txn SET state=?, updated_at=?, response_code=COALESCE(?, response_code),"
            " auth_code=COALESCE(?, auth_code), rrn=COALESCE(?, rrn), message=COALESCE(?, message) WHERE id=?",
            (state, now, response_code, auth_code, rrn, message, txn_id))
        conn.execute("INSERT INTO txn_event(txn_id, at, state, reason) VALUES(?,?,?,?)",
                     (txn_id, now, state, reason))

    def txn(self, txn_id: int) -> TxnRow:
        rows = self._read("SELECT * FROM txn WHERE id=?", (txn_id,))
        if not rows:
            raise StoreError(f"no transaction {txn_id} in the journal")
        return _txn_row(rows[0])

    def txns(self, limit: int = 50) -> list[TxnRow]:
        return [_txn_row(r) for r in self._read("SELECT * FROM txn ORDER BY id DESC LIMIT ?", (limit,))]

    def txns_in_state(self, *states: str) -> list[TxnRow]:
        marks = ",".join("?" * len(states))
        return [_txn_row(r) for r in self._read(f"SELECT * FROM txn WHERE state IN ({marks}) ORDER BY id", states)]

    def events(self, txn_id: int) -> list[tuple[str, str, str]]:
        return [(r["at"], r["state"], r["reason"])
                for r in self._read("SELECT at, state, reason FROM txn_event WHERE txn_id=? ORDER BY id", (txn_id,))]

    # -- store-and-forward --------------------------------------------------------------------------------
    def queue(self, txn_id: int, kind: str, reason_code: str, state: str, reason: str,
              sealed: bytes | None = None, message: str | None = None) -> SafRow:
        """Queue a reversal or advice and move the transaction to `state`, in one commit: a reversal is
        never decided without being queued."""
        now = _now()
        with self._write() as conn:
            stan = self._next_stan(conn) if kind == "reversal" else conn.execute(
                "SELECT stan FROM txn WHERE id=?", (txn_id,)).fetchone()[0]
            cur = conn.execute(
                "INSERT INTO saf(txn_id, kind, stan, reason_code, sealed, created_at, updated_at)"
                " VALUES(?,?,?,?,?,?,?)", (txn_id, kind, stan, reason_code, sealed, now, now))
            self._set_state(conn, txn_id, state, reason, now, message=message)
            saf_id = cur.lastrowid
        return self.saf_entry(saf_id)

    def saf_entry(self, saf_id: int) -> SafRow:
        return _saf_row(self._read("SELECT * FROM saf WHERE id=?", (saf_id,))[0])

    def saf_pending_with_txn(self) -> list[tuple[SafRow, TxnRow]]:
        """Pending entries with their transactions, in one query (the drain needs both for every message)."""
        rows = self._read("SELECT saf.id AS saf_id, saf.txn_id AS saf_txn_id, saf.kind AS saf_kind,"
                          " saf.stan AS saf_stan, saf.reason_code AS saf_reason_code, saf.sealed AS saf_sealed,"
                          " saf.attempts AS saf_attempts, saf.next_at AS saf_next_at, saf.state AS saf_state,"
                          " saf.last_error AS saf_last_error, saf.created_at AS saf_created_at, txn.*"
                          " FROM saf JOIN txn ON txn.id = saf.txn_id WHERE saf.state='pending' ORDER BY saf.id")
        out = []
        for r in rows:
            d = dict(r)
            entry = SafRow(**{k[4:]: d.pop(k) for k in list(d) if k.startswith("saf_")})
            d["local_time"] = dt.datetime.fromisoformat(d["local_time"])
            out.append((entry, TxnRow(**d)))
        return out

    def saf_pending(self) -> list[SafRow]:
        return [_saf_row(r) for r in self._read("SELECT * FROM saf WHERE state='pending' ORDER BY id")]

    def saf_all(self) -> list[SafRow]:
        return [_saf_row(r) for r in self._read("SELECT * FROM saf ORDER BY id")]

    def saf_record(self, done: "SafOutcome | None" = None, attempt: tuple[int, float] | None = None) -> None:
        """One commit for the outcome of the entry just delivered and/or the attempt about to be made on the
        next one. The attempt is committed before its message is sent, so a crash mid-send still makes the
        next try a repeat. Folding the previous outcome into it saves one fsync per message; if the process
        dies before that commit, the delivered entry is simply sent again as a repeat and the host answers it
        idempotently."""
        if done is None and attempt is None:
            return
        now = _now()
        with self._write() as conn:
            if done is not None:
                conn.execute("UPDATE saf SET state=?, sealed=CASE WHEN ?='delivered' THEN NULL ELSE sealed END,"
                             " updated_at=? WHERE id=?", (done.state, done.state, now, done.saf_id))
                self._set_state(conn, done.txn_id, done.txn_state, done.reason, now, rrn=done.rrn)
            if attempt is not None:
                conn.execute("UPDATE saf SET attempts=attempts+1, next_at=?, updated_at=? WHERE id=?",
                             (attempt[1], now, attempt[0]))

    def saf_attempt(self, saf_id: int, next_at: float) -> None:
        self.saf_record(attempt=(saf_id, next_at))

    def saf_note(self, saf_id: int, error: str, next_at: float | None = None) -> None:
        with self._write() as conn:
            conn.execute("UPDATE saf SET last_error=?, next_at=COALESCE(?, next_at), updated_at=? WHERE id=?",
                         (error, next_at, _now(), saf_id))

    def saf_done(self, entry: SafRow, txn_state: str, reason: str, *, state: str = "delivered") -> None:
        """Delivered (card data erased in the same commit), or given up as needs_attention (kept)."""
        self.saf_record(done=SafOutcome(entry.id, entry.txn_id, txn_state, reason, state))


@dataclass(frozen=True)
class SafOutcome:
    saf_id: int
    txn_id: int
    txn_state: str
    reason: str
    state: str = "delivered"
    rrn: str | None = None  # an advice's acknowledgement carries the host's RRN, needed for batch upload


def _txn_row(r: sqlite3.Row) -> TxnRow:
    d = dict(r)
    d["local_time"] = dt.datetime.fromisoformat(d["local_time"])
    return TxnRow(**d)


def _saf_row(r: sqlite3.Row) -> SafRow:
    d = dict(r)
    d.pop("updated_at")
    return SafRow(**d)

