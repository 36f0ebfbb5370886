"""The host's books, in SQLite: what it approved, what was reversed, and each request's first answer.

Kept in a file when a test must compare it with the terminal's journal after the simulator process is gone.
"""
from __future__ import annotations

import json
import sqlite3
import threading

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, response TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS financial (
    id INTEGER PRIMARY KEY, tid TEXT, stan TEXT, local_date TEXT, local_time TEXT, transmitted TEXT,
    source TEXT,              -- online (0200), advice (0220), upload (0320)
    proc_code TEXT, amount INTEGER, batch TEXT, response_code TEXT, rrn TEXT, auth_code TEXT,
    reversed INTEGER NOT NULL DEFAULT 0,
    voids INTEGER,            -- for a void: the row it removed from the batch
    UNIQUE (tid, stan, local_date, local_time)
);
CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, mti TEXT, stan TEXT, response_code TEXT, note TEXT);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Ledger:
    def __init__(self, path: str = ":memory:") -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def _next(self, name: str) -> int:
        self._db.execute("INSERT INTO counters VALUES(?, 1) ON CONFLICT(name) DO UPDATE SET value=value+1", (name,))
        return self._db.execute("SELECT value FROM counters WHERE name=?", (name,)).fetchone()[0]

    def lock(self) -> threading.Lock:
        return self._lock

    def first_answer(self, key: str) -> dict | None:
        row = self._db.execute("SELECT response FROM answers WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def remember_answer(self, key: str, response: dict) -> None:
        self._db.execute("INSERT OR IGNORE INTO answers VALUES(?, ?)", (key, json.dumps(response)))

    def log(self, mti: str, stan: str, code: str, note: str = "") -> None:
        self._db.execute("INSERT INTO messages(mti, stan, response_code, note) VALUES(?,?,?,?)",
                         (mti, stan, code, note))

    def new_rrn_and_auth(self) -> tuple[str, str]:
        n = self._next("rrn")
        return f"{n:012d}", f"{n % 1_000_000:06d}"

    def record(self, *, tid: str, stan: str, date: str, time: str, transmitted: str, source: str, proc: str,
               amount: int, batch: str, code: str, rrn: str, auth: str, voids: int | None = None) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO financial(tid, stan, local_date, local_time, transmitted, source, proc_code,"
            " amount, batch, response_code, rrn, auth_code, voids) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (tid, stan, date, time, transmitted, source, proc, amount, batch, code, rrn, auth, voids))

    def find_original(self, tid: str, stan: str, date: str, time: str) -> sqlite3.Row | None:
        cur = self._db.execute("SELECT id, reversed, response_code, voids FROM financial WHERE tid=? AND stan=?"
                               " AND local_date=? AND local_time=?", (tid, stan, date, time))
        return cur.fetchone()

    def find_by_rrn(self, tid: str, rrn: str) -> sqlite3.Row | None:
        return self._db.execute("SELECT id, reversed, response_code, proc_code, batch, source FROM financial"
                                " WHERE tid=? AND rrn=? AND source != 'void'", (tid, rrn)).fetchone()

    def mark_reversed(self, row_id: int, reversed_: bool = True) -> None:
        self._db.execute("UPDATE financial SET reversed=? WHERE id=?", (int(reversed_), row_id))

    def totals(self, tid: str, batch: str) -> tuple[tuple[int, int], tuple[int, int]]:
        """(credits count, amount), (debits count, amount) of approved, unreversed transactions."""
        def total(proc: str) -> tuple[int, int]:
            row = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM financial WHERE tid=? AND batch=? AND proc_code=?"
                " AND response_code IN ('00','Y1','Y3') AND reversed=0 AND source != 'void'", (tid, batch, proc)).fetchone()
            return int(row[0]), int(row[1])
        return total("200000"), total("000000")

    def approvals(self) -> list[dict]:
        """Every financial row, for comparing with a terminal's journal."""
        cur = self._db.execute("SELECT tid, stan, local_date, local_time, source, proc_code, amount, response_code,"
                               " rrn, auth_code, reversed FROM financial ORDER BY id")
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    def messages(self) -> list[tuple[str, str, str]]:
        return [tuple(r) for r in self._db.execute("SELECT mti, stan, response_code FROM messages ORDER BY id")]

    def close(self) -> None:
        self._db.close()
