"""Schema versions of the journal file, in PRAGMA user_version, and the steps that bring an older file up.

schema.sql always creates the newest layout (CREATE ... IF NOT EXISTS, so it is a no-op on an existing file);
a step here changes what an existing older file already has. Files written before versioning read as 0.
The check costs one header read when the file is current, so an ordinary open adds no commit and no fsync.
"""
from __future__ import annotations

import sqlite3
from typing import Callable

from terminal.store.errors import StoreError


def _txn_tsc(conn: sqlite3.Connection) -> None:
    """1: txn.tsc, the 9F41 counter the card saw for this transaction (NULL for magstripe and older rows)."""
    if "tsc" not in {r[1] for r in conn.execute("PRAGMA table_info(txn)")}:
        conn.execute("ALTER TABLE txn ADD COLUMN tsc INTEGER")


def _txn_message(conn: sqlite3.Connection) -> None:
    """2: txn_message, the address that carried each message (backup hosts, terminal/link/failover.py)."""
    conn.execute("CREATE TABLE IF NOT EXISTS txn_message (id INTEGER PRIMARY KEY, txn_id INTEGER NOT NULL,"
                 " mti TEXT NOT NULL, stan INTEGER NOT NULL, address TEXT NOT NULL, at TEXT NOT NULL)")
    conn.execute("CREATE INDEX IF NOT EXISTS txn_message_txn ON txn_message(txn_id, id)")


def _risk(conn: sqlite3.Connection) -> None:
    """3: risk_card (keyed card hashes, terminal/store/risk.py), alert (alerts.py), and the day's-refunds index."""
    conn.execute("CREATE TABLE IF NOT EXISTS risk_card (txn_id INTEGER PRIMARY KEY, card_hash TEXT NOT NULL,"
                 " at TEXT NOT NULL)")
    conn.execute("CREATE INDEX IF NOT EXISTS risk_card_hash ON risk_card(card_hash, at)")
    conn.execute("CREATE INDEX IF NOT EXISTS risk_card_at ON risk_card(at)")
    conn.execute("CREATE TABLE IF NOT EXISTS alert (id INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL,"
                 " rule TEXT NOT NULL DEFAULT '', decision TEXT NOT NULL DEFAULT '', txn_id INTEGER, stan INTEGER,"
                 " text TEXT NOT NULL, acked_at TEXT, acked_by TEXT NOT NULL DEFAULT '')")
    conn.execute("CREATE INDEX IF NOT EXISTS alert_open ON alert(acked_at, id)")
    conn.execute("CREATE INDEX IF NOT EXISTS txn_kind_time ON txn(kind, local_time)")


def _txn_chip(conn: sqlite3.Connection) -> None:
    """4: txn_chip, what a chip or tap slip prints beyond the row (chip_record.py); older rows have none."""
    from terminal.store.chip_record import TABLE
    conn.execute(TABLE)


# (version a step brings the file to, the step), oldest first.
STEPS: tuple[tuple[int, Callable[[sqlite3.Connection], None]], ...] = (
    (1, _txn_tsc),
    (2, _txn_message),
    (3, _risk),
    (4, _txn_chip),
)
SCHEMA_VERSION = STEPS[-1][0]


def version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def refuse_newer(conn: sqlite3.Connection) -> None:
    """A file from a newer posterm, refused before anything is written to it: Database.open calls this before
    schema.sql, whose CREATE ... IF NOT EXISTS would otherwise put back tables or indexes the newer layout no
    longer has. (migrate reads the version again under the write lock.)"""
    found = version(conn)
    if found > SCHEMA_VERSION:
        raise StoreError(f"journal schema version {found} is newer than this posterm knows ({SCHEMA_VERSION})")


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the file to SCHEMA_VERSION in one commit: a crash mid-way leaves the old file as it was.

    The version is read again under the write lock, so two processes opening an old file at once migrate it
    once. A file from a newer posterm is refused rather than written with a layout this code does not know."""
    if version(conn) == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = version(conn)
        if found > SCHEMA_VERSION:
            raise StoreError(f"journal schema version {found} is newer than this posterm knows ({SCHEMA_VERSION})")
        for target, step in STEPS:
            if found < target:
                step(conn)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
