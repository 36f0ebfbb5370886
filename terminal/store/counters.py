"""The numbers the journal hands out, kept in its meta table so no restart can repeat one.

- STAN (field 11, n6): one per request, 1..999999 then 1 again (never 000000). Taken inside the commit of the
  row or entry that carries it, so a STAN is used exactly when its message may leave.
- Transaction sequence counter (EMV 9F41, n8 in 4 BCD bytes): one per card transaction, 1..99999999 then 1.
  The kernel needs it before the first GENERATE AC, i.e. before the transaction's row exists, so it has a
  commit of its own; that commit does not wait for the disk (see next_tsc), which keeps an approved sale at
  two fsyncs.
- Batch number: the open batch, moved on by a settlement that closes in balance.
"""
from __future__ import annotations

import sqlite3

from terminal.store.db import Database

STAN_MAX = 999_999
TSC_MAX = 99_999_999
BATCH_MAX = 999_999


def _get(conn: sqlite3.Connection, key: str) -> int | None:
    row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return int(row[0]) if row else None


def _put(conn: sqlite3.Connection, key: str, value: int) -> None:
    conn.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                 (key, str(value)))


def _step(conn: sqlite3.Connection, key: str, top: int) -> int:
    """The counter's next value (1 the first time, 1 again after `top`), written in the caller's commit."""
    last = _get(conn, key)
    value = last % top + 1 if last is not None else 1
    _put(conn, key, value)
    return value


class Counters:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- STAN -----------------------------------------------------------------------------------------
    def take_stan(self, conn: sqlite3.Connection) -> int:
        """A STAN inside a write the caller already holds (the row or entry that carries it)."""
        return _step(conn, "stan", STAN_MAX)

    def next_stan(self) -> int:
        """A STAN for a request that has no row of its own (sign-on, settlement)."""
        with self.db.write() as conn:
            return self.take_stan(conn)

    # -- 9F41 -----------------------------------------------------------------------------------------
    def next_tsc(self) -> int:
        """The next transaction sequence counter, committed before it is returned.

        The commit skips the fsync: it reaches the file at once (a killed process loses nothing) and the
        disk with the next ordinary commit, which fsyncs the log behind it. The value leaves the terminal
        only in a request sent after its row's write-ahead commit, so a power loss can lose a value only
        while nothing outside the card has seen it; a sale thus costs no extra fsync for its counter."""
        with self.db.write(fsync=False) as conn:
            return _step(conn, "tsc", TSC_MAX)

    def last_tsc(self) -> int | None:
        """The counter last handed out (None before the first), for diagnostics."""
        rows = self.db.read("SELECT value FROM meta WHERE key='tsc'")
        return int(rows[0][0]) if rows else None

    # -- batch ----------------------------------------------------------------------------------------
    def batch_in(self, conn: sqlite3.Connection) -> int:
        """The open batch, read inside a write the caller holds (a new row joins it in the same commit)."""
        return _get(conn, "batch") or 1

    def current_batch(self) -> int:
        rows = self.db.read("SELECT value FROM meta WHERE key='batch'")
        return int(rows[0][0]) if rows else 1

    def open_next_batch(self, conn: sqlite3.Connection, closed: int) -> int:
        """The batch after `closed` becomes the open one, inside the settlement's commit."""
        batch = closed % BATCH_MAX + 1
        _put(conn, "batch", batch)
        return batch
