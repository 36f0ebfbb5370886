"""The journal's upkeep for the help desk: check it, export it, and start a new one on purpose.

- check: SQLite's integrity check, the identity (identity.py), and the lifecycle's invariants over every row
  (its history follows lifecycle.TRANSITIONS and ends in its state; a pending reversal or advice has its queue
  entry; nothing delivered still holds card data; no row in a batch after the open one).
- export: one JSON object per transaction (history and queue entries, PAN masked as the journal keeps it, no
  sealed card data).
- start_new: the only way a data dir gets a fresh journal once it has held books. The old file (with its
  -wal/-shm and identity) is kept aside, renamed, never deleted; the new journal continues above the old STAN
  and opens the batch after the old one, so the host never sees a STAN reused within a batch.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Iterator

from terminal.store import identity as idf
from terminal.store.errors import StoreError
from terminal.store.lifecycle import INITIAL, TRANSITIONS
from terminal.store.states import SafKind, SafState, TxnState

STAN_MAX = BATCH_MAX = 999_999


def _readonly(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


# -- check ----------------------------------------------------------------------------------------------------
def lifecycle_problems(conn: sqlite3.Connection) -> list[str]:
    """Every row against the lifecycle, in one pass over txn and txn_event."""
    problems: list[str] = []
    history: dict[int, list[str]] = {}
    for r in conn.execute("SELECT txn_id, state FROM txn_event ORDER BY id"):
        history.setdefault(r[0], []).append(r[1])
    pending = {(r[0], r[1]) for r in conn.execute("SELECT txn_id, kind FROM saf WHERE state=?",
                                                    (SafState.PENDING.value,))}
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    open_batch = int(meta.get("batch", 1))
    for r in conn.execute("SELECT id, state, batch FROM txn ORDER BY id"):
        tid, state, batch = r[0], r[1], r[2]
        steps = history.get(tid, [])
        if not steps:
            problems.append(f"transaction {tid}: no history")
            continue
        try:
            seq = [TxnState(s) for s in steps]
            now = TxnState(state)
        except ValueError as e:
            problems.append(f"transaction {tid}: {e}")
            continue
        if seq[0] not in INITIAL:
            problems.append(f"transaction {tid}: starts in {seq[0].value}, not a state a transaction starts in")
        for a, b in zip(seq, seq[1:]):
            if b not in TRANSITIONS[a]:
                problems.append(f"transaction {tid}: {a.value} -> {b.value} is not a transition of the lifecycle")
        if seq[-1] is not now:
            problems.append(f"transaction {tid}: state {now.value} but its history ends in {seq[-1].value}")
        if now is TxnState.REVERSAL_PENDING and (tid, SafKind.REVERSAL.value) not in pending:
            problems.append(f"transaction {tid}: reversal pending but no reversal queued")
        if now is TxnState.ADVICE_PENDING and (tid, SafKind.ADVICE.value) not in pending:
            problems.append(f"transaction {tid}: advice pending but no advice queued")
        if batch > open_batch:
            problems.append(f"transaction {tid}: batch {batch:06d} is after the open batch {open_batch:06d}")
    for r in conn.execute("SELECT id FROM saf WHERE state=? AND sealed IS NOT NULL", (SafState.DELIVERED.value,)):
        problems.append(f"store-and-forward entry {r[0]}: delivered but still holds card data")
    return problems


def check(path: Path) -> tuple[list[str], list[str]]:
    """(what is fine, what is wrong), each one line, for `posterm journal check`."""
    from terminal.store.journal import Journal
    good: list[str] = []
    bad: list[str] = []
    if not path.exists() or path.stat().st_size == 0:
        bad.append(f"journal {path}: {'missing' if not path.exists() else 'empty (0 bytes)'}")
        ident = idf.read(idf.path_beside(path)) if idf.path_beside(path).exists() else None
        if ident:
            bad.append(f"identity says: terminal {ident.terminal_id or '?'}, creation {ident.creation_id}, last STAN"
                       f" {ident.stan:06d}, batch {ident.batch:06d}, transaction {ident.txn_id}")
        return good, bad
    try:
        conn = _readonly(path)
        result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    except sqlite3.Error as e:
        return good, [f"journal {path}: not a readable SQLite journal: {e}"]
    if result == ["ok"]:
        good.append("SQLite integrity check: ok")
    else:
        bad += [f"SQLite integrity check: {line}" for line in result[:10]]
    fk = conn.execute("PRAGMA foreign_key_check").fetchall()
    if fk:
        bad.append(f"{len(fk)} row(s) refer to rows that do not exist")
    try:
        Journal(path).close()  # the identity checks of every open (and nothing else is written)
        ident = idf.read(idf.path_beside(path))
        assert ident is not None
        good.append(f"identity: terminal {ident.terminal_id or '?'}, creation {ident.creation_id}, last STAN"
                    f" {ident.stan:06d}, batch {ident.batch:06d}, transaction {ident.txn_id}")
    except StoreError as e:
        bad.append(f"identity: {e}")
    try:
        found = lifecycle_problems(conn)
        count = conn.execute("SELECT COUNT(*) FROM txn").fetchone()[0]
    except sqlite3.Error as e:
        found, count = [f"cannot read the rows: {e}"], 0
    conn.close()
    if found:
        bad += found
    else:
        good.append(f"lifecycle: {count} transaction(s), every history follows the lifecycle")
    return good, bad


# -- export ---------------------------------------------------------------------------------------------------
TXN_COLUMNS = ("id", "kind", "proc_code", "amount", "currency", "stan", "local_time", "transmitted", "entry_mode",
               "masked_pan", "psn", "batch", "state", "response_code", "auth_code", "rrn", "message", "original_id",
               "created_at", "updated_at", "tsc")


def export_rows(conn: sqlite3.Connection, where: str = "", args: tuple = ()) -> Iterator[dict]:
    """Transactions as JSON-ready dicts with their history and queue entries; never a sealed blob."""
    cols = ", ".join(f"t.{c}" for c in TXN_COLUMNS)
    for r in conn.execute(f"SELECT {cols} FROM txn t {where} ORDER BY t.id", args):
        d = dict(zip(TXN_COLUMNS, tuple(r)))
        d["history"] = [dict(zip(("at", "state", "reason"), tuple(e))) for e in conn.execute(
            "SELECT at, state, reason FROM txn_event WHERE txn_id=? ORDER BY id", (d["id"],))]
        d["saf"] = [dict(zip(("kind", "stan", "reason_code", "attempts", "state", "last_error"), tuple(e)))
                    for e in conn.execute("SELECT kind, stan, reason_code, attempts, state, last_error FROM saf"
                                          " WHERE txn_id=? ORDER BY id", (d["id"],))]
        yield d


def export(path: Path) -> Iterator[str]:
    """JSON lines, one per transaction: the archive's (archive.py), then the live journal's."""
    from terminal.store import archive
    conn = _readonly(path)
    try:
        live = {r[0] for r in conn.execute("SELECT id FROM txn")}
        for d in archive.export(path):
            if d["id"] not in live:  # a move interrupted before its delete: the live row is the one shown
                yield json.dumps(d | {"archived": True}, sort_keys=True)
        for d in export_rows(conn):
            yield json.dumps(d | {"archived": False}, sort_keys=True)
    finally:
        conn.close()


# -- a new journal, on purpose --------------------------------------------------------------------------------
def _old_marks(path: Path) -> tuple[idf.Marks, list[str], str | None]:
    """(marks of the old journal, what it still owes the host, its creation id), as far as it can be read."""
    try:
        conn = _readonly(path)
        try:
            marks = idf.Marks.of(conn)
            owed = [f"{r[0]} {r[1]}(s) still waiting for the host" for r in conn.execute(
                "SELECT COUNT(*), kind FROM saf WHERE state=? GROUP BY kind", (SafState.PENDING.value,))]
            sending = conn.execute("SELECT COUNT(*) FROM txn WHERE state=?", (TxnState.SENDING.value,)).fetchone()[0]
            if sending:
                owed.append(f"{sending} transaction(s) sent with no recorded outcome")
            cid = conn.execute("SELECT value FROM meta WHERE key='creation_id'").fetchone()
            return marks, owed, cid[0] if cid else None
        finally:
            conn.close()
    except sqlite3.Error:
        return idf.Marks(), [], None


def start_new(path: Path, terminal_id: str, *, force: bool = False) -> tuple[idf.Identity, list[Path]]:
    """Keep the old journal aside and start a new one above its STAN and batch. Refused while the old file
    can be read and still owes the host a message, unless `force` (then it stays in the file kept aside)."""
    from terminal.store.db import Database, now
    side = idf.path_beside(path)
    try:
        old_ident = idf.read(side)
    except idf.IdentityError:
        old_ident = None
    marks, owed, old_cid = _old_marks(path) if path.exists() and path.stat().st_size else (idf.Marks(), [], None)
    if owed and not force:
        raise StoreError(f"journal {path}: {', '.join(owed)}: deliver them first (`posterm saf flush`), or"
                         " start a new journal anyway with `posterm journal new --force`")
    if old_ident is not None:  # the higher of what the file and its identity say
        marks = idf.Marks(max(marks.stan, old_ident.stan), max(marks.batch, old_ident.batch),
                          max(marks.txn_id, old_ident.txn_id))
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    kept: list[Path] = []
    for f in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), side):
        if f.exists():
            aside = f.with_name(f"{f.name}.{stamp}.old")
            f.rename(aside)
            kept.append(aside)
    previous = list(old_ident.previous) if old_ident else []
    previous.append({"creation_id": (old_ident.creation_id if old_ident else old_cid), "kept_as": kept[0].name
                     if kept else None, "stan": marks.stan, "batch": marks.batch, "txn_id": marks.txn_id})
    batch = marks.batch % BATCH_MAX + 1
    ident = idf.Identity(terminal_id, idf.new_creation_id(), now(), stan=marks.stan, batch=batch, txn_id=0,
                         previous=previous)
    db = Database(path)
    try:
        with db.write() as conn:
            idf.stamp(conn, ident)
            for key, value in (("stan", marks.stan), ("batch", batch)):
                conn.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET"
                             " value=excluded.value", (key, str(value)))
    finally:
        db.close()
    idf.write(side, ident, durable=True)
    return ident, kept
