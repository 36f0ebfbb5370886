"""Alerts (风险预警): what someone at the terminal or the merchant's monitoring must hear of.

Kinds: `risk` (a risk rule fired, with its decision), `key` (the host refused our MAC, response 63),
`needs_attention` (store-and-forward gave up on an entry) and `fault` (a journal write failed). Each is a row
of the alert table, written in the same commit as what caused it, and kept until an operator acknowledges it
(`posterm alerts ack ID`, journaled). Once its commit is on disk, each alert is also handed to `sink` (one JSON
line to the alert log or syslog, terminal/txn/alert_log.py).

A fault cannot be written when it happens (the write that failed is the journal's): it goes to the sink at
once and into the alert table with the next write that succeeds, inside that write's own commit.

The key alert also keeps its older form, one meta row read by `posterm txn list` and cleared by
`posterm txn ack-alert`, so that what was built on it keeps working.
"""
from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from typing import Callable

from terminal.store.db import Database
from terminal.store.errors import StoreError

KINDS = ("risk", "key", "needs_attention", "fault")


@dataclass(frozen=True)
class AlertRow:
    id: int
    at: str
    kind: str
    rule: str
    decision: str
    txn_id: int | None
    stan: int | None
    text: str
    acked_at: str | None
    acked_by: str

    def to_json(self) -> dict:
        return asdict(self)


class Alerts:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.sink: Callable[[AlertRow], None] | None = None
        db.on_fault = self.fault

    # -- writes ----------------------------------------------------------------------------------------
    def add(self, conn: sqlite3.Connection, kind: str, text: str, *, rule: str = "", decision: str = "",
            txn_id: int | None = None, stan: int | None = None, at: str | None = None) -> int:
        """In the caller's write; handed to the sink once that write has committed."""
        at = at or self.db.now()
        alert_id = conn.execute(
            "INSERT INTO alert(at, kind, rule, decision, txn_id, stan, text) VALUES(?,?,?,?,?,?,?)",
            (at, kind, rule, decision, txn_id, stan, text)).lastrowid
        row = AlertRow(alert_id, at, kind, rule, decision, txn_id, stan, text, None, "")
        self.db.after_commit(lambda: self._emit(row))
        return alert_id

    def _emit(self, row: AlertRow) -> None:
        if self.sink is not None:
            try:
                self.sink(row)
            except OSError:
                pass   # the alert is in the journal; a log that cannot be written must not fail the sale

    def fault(self, text: str) -> None:
        """A journal write failed: tell the sink now; the row rides in the next write that works (db.ride)."""
        at = self.db.now()
        self.db.ride("INSERT INTO alert(at, kind, text) VALUES(?, 'fault', ?)", (at, text))
        self._emit(AlertRow(0, at, "fault", "", "", None, None, text, None, ""))

    def acknowledge(self, alert_id: int, by: str = "operator") -> AlertRow:
        with self.db.write() as conn:
            found = conn.execute("SELECT acked_at FROM alert WHERE id=?", (alert_id,)).fetchone()
            if found is None:
                raise StoreError(f"no alert {alert_id} in the journal")
            if found[0] is None:
                conn.execute("UPDATE alert SET acked_at=?, acked_by=? WHERE id=?", (self.db.now(), by, alert_id))
                kind = conn.execute("SELECT kind FROM alert WHERE id=?", (alert_id,)).fetchone()[0]
                if kind == "key" and not conn.execute(
                        "SELECT 1 FROM alert WHERE kind='key' AND acked_at IS NULL").fetchone():
                    conn.execute("DELETE FROM meta WHERE key='key_alert'")
        return self.get(alert_id)

    def raise_key_alert(self, why: str) -> None:
        """Kept until someone clears it; a later refusal replaces the text."""
        with self.db.write() as conn:
            conn.execute("INSERT INTO meta(key, value) VALUES('key_alert', ?) "
                         "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (f"{self.db.now()} {why}",))
            self.add(conn, "key", why)

    def clear_key_alert(self) -> str | None:
        """Someone has dealt with the keys: the alert goes, its text is returned for the record."""
        with self.db.write() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key='key_alert'").fetchone()
            conn.execute("DELETE FROM meta WHERE key='key_alert'")
            conn.execute("UPDATE alert SET acked_at=?, acked_by='txn ack-alert' WHERE kind='key' AND acked_at IS NULL",
                         (self.db.now(),))
        return row[0] if row else None

    # -- reads -----------------------------------------------------------------------------------------
    def key_alert(self) -> str | None:
        rows = self.db.read("SELECT value FROM meta WHERE key='key_alert'")
        return rows[0][0] if rows else None

    def get(self, alert_id: int) -> AlertRow:
        rows = self.db.read("SELECT * FROM alert WHERE id=?", (alert_id,))
        if not rows:
            raise StoreError(f"no alert {alert_id} in the journal")
        return AlertRow(*rows[0])

    def open(self, limit: int = 100) -> list[AlertRow]:
        """Not yet acknowledged, newest first (index alert_open)."""
        return [AlertRow(*r) for r in self.db.read(
            "SELECT * FROM alert WHERE acked_at IS NULL ORDER BY id DESC LIMIT ?", (limit,))]

    def open_count(self) -> int:
        return int(self.db.read("SELECT COUNT(*) FROM alert WHERE acked_at IS NULL")[0][0])

    def all(self, limit: int = 100) -> list[AlertRow]:
        return [AlertRow(*r) for r in self.db.read("SELECT * FROM alert ORDER BY id DESC LIMIT ?", (limit,))]
