"""The key alert: the host refused our MAC (response 63), so the terminal's key set needs someone's attention.

It is kept in the journal, not in memory, so that a restart cannot hide it: it stays atop `posterm txn list`
and `posterm status` until an operator clears it (`posterm txn ack-alert`).
"""
from __future__ import annotations

from terminal.store.db import Database


class Alerts:
    def __init__(self, db: Database) -> None:
        self.db = db

    def raise_key_alert(self, why: str) -> None:
        """Kept until someone clears it; a later refusal replaces the text."""
        with self.db.write() as conn:
            conn.execute("INSERT INTO meta(key, value) VALUES('key_alert', ?) "
                         "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (f"{self.db.now()} {why}",))

    def clear_key_alert(self) -> str | None:
        """Someone has dealt with the keys: the alert goes, its text is returned for the record."""
        with self.db.write() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key='key_alert'").fetchone()
            conn.execute("DELETE FROM meta WHERE key='key_alert'")
        return row[0] if row else None

    def key_alert(self) -> str | None:
        rows = self.db.read("SELECT value FROM meta WHERE key='key_alert'")
        return rows[0][0] if rows else None
