"""The archive: settled batches older than `[journal] keep_days` leave the live journal for an append-only file
beside it (`journal.archive.sqlite3`), so the journal a terminal works on stays small on a small flash disk.

What moves: the transactions of batches whose settlement closed more than keep_days ago, with their history
and their store-and-forward entries, once nothing of them is still owed to the host (no reversal or advice
pending, no row in doubt or needing attention) and no live row refers to them. The newest transaction always
stays, so transaction ids keep counting up (SQLite would hand out a moved id again) and the identity's
high-water mark of the last transaction id never sees the journal go back. Never more card data than the
journal holds: rows keep only the masked PAN, and a queue entry's sealed blob is not copied (the journal erases
it on delivery anyway). The archive is only ever appended to.

Order, so a crash loses nothing: the copy is committed in the archive first (INSERT OR IGNORE: a repeated
move after a crash copies nothing twice), then the rows are deleted from the journal in a commit of its own.
`posterm txn show` and `posterm journal export` still find archived transactions.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from terminal.store import search
from terminal.store.errors import StoreError
from terminal.store.search import TxnFilter

FINAL = ("approved", "declined", "reversed", "offline_approved", "voided", "cancelled", "not_sent")
_TXN = ("id, kind, proc_code, amount, currency, stan, local_time, transmitted, entry_mode, masked_pan, psn, batch,"
        " state, response_code, auth_code, rrn, message, original_id, created_at, updated_at, tsc")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS arch.txn (id INTEGER PRIMARY KEY, kind, proc_code, amount, currency, stan, local_time,
    transmitted, entry_mode, masked_pan, psn, batch, state, response_code, auth_code, rrn, message, original_id,
    created_at, updated_at, tsc);
CREATE INDEX IF NOT EXISTS arch.txn_local_time ON txn(local_time);
CREATE INDEX IF NOT EXISTS arch.txn_amount ON txn(amount);
CREATE INDEX IF NOT EXISTS arch.txn_card ON txn(substr(masked_pan, -4), local_time);
CREATE INDEX IF NOT EXISTS arch.txn_state ON txn(state);
CREATE INDEX IF NOT EXISTS arch.txn_batch ON txn(batch, proc_code, state);
CREATE TABLE IF NOT EXISTS arch.txn_event (id INTEGER PRIMARY KEY, txn_id, at, state, reason);
CREATE INDEX IF NOT EXISTS arch.txn_event_txn ON txn_event(txn_id, id);
CREATE TABLE IF NOT EXISTS arch.saf (id INTEGER PRIMARY KEY, txn_id, kind, stan, reason_code, attempts, state,
    last_error, created_at, updated_at);
CREATE INDEX IF NOT EXISTS arch.saf_txn ON saf(txn_id);
CREATE TABLE IF NOT EXISTS arch.txn_message (id INTEGER PRIMARY KEY, txn_id, mti, stan, address, at);
CREATE INDEX IF NOT EXISTS arch.txn_message_txn ON txn_message(txn_id, id);
CREATE TABLE IF NOT EXISTS arch.txn_chip (txn_id INTEGER PRIMARY KEY, contactless, aid, label, cid, cryptogram, tvr,
    tsi, cvm, cvm_results);
"""


def path_of(journal: Path) -> Path:
    return journal.with_name(journal.stem + ".archive.sqlite3")


def move_settled(db, keep_days: int, now: dt.datetime | None = None) -> int:
    """Move what may move (see above) out of the journal `db` (a store.db.Database); returns how many
    transactions moved."""
    now = now or dt.datetime.now(dt.timezone.utc)
    cutoff = (now - dt.timedelta(days=keep_days)).isoformat(timespec="milliseconds")
    conn = db.connection()
    marks = ",".join("?" * len(FINAL))
    try:
        old = [r[0] for r in conn.execute(  # batches that still have rows here, at most 200 per settlement
            "SELECT DISTINCT batch FROM settlement s WHERE state='closed' AND updated_at < ?"
            " AND EXISTS (SELECT 1 FROM txn WHERE batch = s.batch) LIMIT 200", (cutoff,))]
        if not old:
            return 0  # the usual case after a settlement: one indexed look, no pass over the rows
        batches = ",".join("?" * len(old))
        chosen = (f"SELECT t.id FROM txn t WHERE t.batch IN ({batches}) AND t.state IN ({marks})"
                  " AND t.id < (SELECT MAX(id) FROM txn)"
                  " AND NOT EXISTS (SELECT 1 FROM saf s WHERE s.txn_id = t.id AND s.state != 'delivered')"
                  f" AND NOT EXISTS (SELECT 1 FROM txn r WHERE r.original_id = t.id AND r.batch NOT IN ({batches}))")
        ids = [r[0] for r in conn.execute(chosen, (*old, *FINAL, *old))]
        if not ids:
            return 0
        conn.execute("ATTACH DATABASE ? AS arch", (str(path_of(db.path)),))
        try:
            conn.executescript(_SCHEMA)
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS moving(id INTEGER PRIMARY KEY)")
            conn.execute("DELETE FROM moving")
            conn.executemany("INSERT INTO moving(id) VALUES(?)", ((i,) for i in ids))
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(f"INSERT OR IGNORE INTO arch.txn({_TXN}) SELECT {_TXN} FROM main.txn"
                         " WHERE id IN (SELECT id FROM moving)")
            conn.execute("INSERT OR IGNORE INTO arch.txn_event SELECT id, txn_id, at, state, reason FROM"
                         " main.txn_event WHERE txn_id IN (SELECT id FROM moving)")
            conn.execute("INSERT OR IGNORE INTO arch.saf SELECT id, txn_id, kind, stan, reason_code, attempts, state,"
                         " last_error, created_at, updated_at FROM main.saf WHERE txn_id IN (SELECT id FROM moving)")
            conn.execute("INSERT OR IGNORE INTO arch.txn_message SELECT id, txn_id, mti, stan, address, at FROM"
                         " main.txn_message WHERE txn_id IN (SELECT id FROM moving)")
            conn.execute("INSERT OR IGNORE INTO arch.txn_chip SELECT * FROM main.txn_chip"
                         " WHERE txn_id IN (SELECT id FROM moving)")
            conn.execute("COMMIT")
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.execute("DETACH DATABASE arch")
        with db.write() as w:  # only once the archive holds them
            for table, col in (("txn_event", "txn_id"), ("saf", "txn_id"), ("txn_message", "txn_id"),
                               ("txn_chip", "txn_id"), ("txn", "id")):
                w.execute(f"DELETE FROM {table} WHERE {col} IN (SELECT id FROM temp.moving)")
        return len(ids)
    except sqlite3.Error as e:
        raise StoreError(f"journal {db.path}: archiving settled batches failed: {e}") from None


def _open(journal: Path) -> sqlite3.Connection | None:
    p = path_of(journal)
    if not p.exists():
        return None
    conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def _read_failed(journal: Path, e: sqlite3.Error) -> StoreError:
    """A damaged or unreadable archive is named as the journal's own read failures are (not a crash)."""
    return StoreError(f"journal archive {path_of(journal)}: read failed: {e}")


def find(journal: Path, txn_id: int) -> tuple[dict, list[tuple[str, str, str]]] | None:
    """An archived transaction (its row as a dict, its history), or None."""
    conn = _open(journal)
    if conn is None:
        return None
    try:
        row = conn.execute("SELECT * FROM txn WHERE id=?", (txn_id,)).fetchone()
        if row is None:
            return None
        events = [(r["at"], r["state"], r["reason"]) for r in conn.execute(
            "SELECT at, state, reason FROM txn_event WHERE txn_id=? ORDER BY id", (txn_id,))]
        return dict(row), events
    except sqlite3.Error as e:
        raise _read_failed(journal, e) from None
    finally:
        conn.close()


def select(journal: Path, f: TxnFilter, limit: int) -> list[dict]:
    """The newest `limit` archived transactions matching `f` (search.py), newest first; [] without an archive.
    The archive carries the journal's search indexes (_SCHEMA), so this is as indexed as the live query."""
    conn = _open(journal)
    if conn is None:
        return []
    try:
        return [dict(r) for r in search.select(conn, f, limit)]
    except sqlite3.Error as e:
        raise _read_failed(journal, e) from None
    finally:
        conn.close()


def find_chip(journal: Path, txn_id: int):
    """An archived transaction's chip slip lines (chip_record.ChipRecord), or None."""
    from terminal.store.chip_record import from_row
    conn = _open(journal)
    if conn is None:
        return None
    try:
        has = conn.execute("SELECT 1 FROM sqlite_master WHERE name='txn_chip'").fetchone()
        return from_row(conn.execute("SELECT * FROM txn_chip WHERE txn_id=?", (txn_id,)).fetchone()) if has else None
    except sqlite3.Error as e:
        raise _read_failed(journal, e) from None
    finally:
        conn.close()


def export(journal: Path):
    """The archived transactions as export dicts (upkeep.export_rows), oldest first."""
    from terminal.store.upkeep import export_rows
    conn = _open(journal)
    if conn is None:
        return
    try:
        yield from export_rows(conn)
    except sqlite3.Error as e:
        raise _read_failed(journal, e) from None
    finally:
        conn.close()
