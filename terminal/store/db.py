"""The journal file: one SQLite connection in WAL mode with synchronous=FULL, shared by every part of the
journal, and the two ways to use it (a short IMMEDIATE write transaction, a read).

synchronous=FULL is set on every open because SQLite keeps it per connection. A failed commit (disk full,
I/O error) closes the connection and raises StoreError; the same commit is never retried on that connection
(after an fsync failure the page cache may lie about what reached the disk): the next call reopens.
"""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Callable, Iterator, Protocol

from terminal.store.errors import StoreError
from terminal.store.migrations import migrate, refuse_newer


def _system_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def now(utc: Callable[[], dt.datetime] = _system_utc) -> str:
    """The journal's timestamps: UTC, milliseconds, ISO 8601 (they sort as text)."""
    return utc().isoformat(timespec="milliseconds")


CACHE_KIB = 256
# SQLite's extended codes after which a failed commit may still be in the file (errors.StoreError.maybe_written)
MAYBE_WRITTEN = {sqlite3.SQLITE_IOERR_FSYNC, sqlite3.SQLITE_IOERR_DIR_FSYNC, sqlite3.SQLITE_IOERR}


class CommitFaults(Protocol):
    """What a fault injector does around each commit (see Database.commit_faults)."""
    def before(self) -> None: ...
    def after(self) -> None: ...


class DiskFull(StoreError):
    """A commit failed because the disk is full: nothing of it was recorded (reserve.py gives space back)."""


class Database:
    """Holds the connection so that every part writes through the same one, in the same commits."""

    def __init__(self, path: str | os.PathLike, utc: Callable[[], dt.datetime] = _system_utc) -> None:
        """`utc`: the terminal's one clock (terminal/txn/clock.py), read for every timestamp the journal writes."""
        self.path = Path(path)
        self.utc = utc
        self.conn: sqlite3.Connection | None = None
        self.on_commit = None  # called after every commit, outside it (the identity's high-water marks)
        self._riders: list[tuple[str, tuple]] = []  # rows written inside the next commit (ride)
        self.on_fault = None   # called with the message when a commit fails (the alert log hears of it)
        self._after: list[Callable[[], None]] = []
        # The one fault seam of the journal (None in production): `before()` runs just before COMMIT and may
        # raise sqlite3.Error as a full disk or an I/O error would; `after()` runs once COMMIT returned and
        # before anyone learns it did, where the simulation crashes the terminal (tests/sim/journal_faults.py).
        self.commit_faults: CommitFaults | None = None
        self.open()

    def now(self) -> str:
        return now(self.utc)

    def open(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            # A terminal runs for months: a bounded page cache (256 KiB, not SQLite's 2 MiB default) keeps a
            # long `posterm run` flat in memory; the journal's hot pages (recent rows, the queue) fit in it.
            conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            refuse_newer(conn)  # before schema.sql writes anything to a layout this code does not know
            conn.executescript(files("terminal.store").joinpath("schema.sql").read_text())
            migrate(conn)
        except (sqlite3.Error, OSError, StoreError) as e:
            if conn is not None:
                conn.close()
            raise StoreError(f"journal {self.path}: cannot open: {e}{self.disk_hint()}") from None
        conn.row_factory = sqlite3.Row
        self.conn = conn

    def disk_hint(self) -> str:
        """SQLite often says only 'disk I/O error' when the disk is full: say so when it is."""
        try:
            st = os.statvfs(self.path.parent)
        except OSError:
            return ""
        free = st.f_bavail * st.f_frsize
        return f" (the disk is full: {free // 1024} KiB free)" if free < 1024 * 1024 else ""

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def connection(self) -> sqlite3.Connection:
        """The live connection, reopened if a failed commit dropped it (for reads that need a cursor)."""
        return self._connection()

    def _connection(self) -> sqlite3.Connection:
        if self.conn is None:
            self.open()
        assert self.conn is not None
        return self.conn

    def ride(self, sql: str, args: tuple) -> None:
        """A row that needs no commit of its own (which address carried a message): it is written inside the
        next write(), whatever that write is for, so it costs no fsync. Kept until a commit holding it succeeds;
        lost only if the process dies before the next commit."""
        self._riders.append((sql, args))

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once the write in progress has committed (never if it fails): what must only be told
        to the outside world once it is on disk (an alert line for the merchant's monitoring). It must not
        touch the journal."""
        self._after.append(action)

    def _run_after(self) -> None:
        actions, self._after = self._after, []
        for action in actions:
            action()

    @contextmanager
    def write(self, *, fsync: bool = True, moves_marks: bool = True) -> Iterator[sqlite3.Connection]:
        """One BEGIN IMMEDIATE ... COMMIT.

        moves_marks=False: this write cannot move a high-water mark (it takes no STAN, opens no batch, adds no
        transaction row), so `on_commit` (which reads the marks again for the identity file) is skipped: one
        query pair less per store-and-forward message and per sale outcome. Unsure? Leave it True.

        fsync=False commits without waiting for the disk (synchronous=NORMAL for this one commit): the change
        survives a crash of the process at once, and a power loss as soon as the next ordinary commit fsyncs
        the log behind it. Only for a value whose every use outside the terminal is preceded by such a
        commit (the 9F41 counter: the 0200 that carries it leaves only after its row's commit)."""
        conn = self._connection()
        try:
            if not fsync:
                conn.execute("PRAGMA synchronous=NORMAL")  # SQLite refuses this inside a transaction
            self._after = []
            conn.execute("BEGIN IMMEDIATE")
            riders = self._riders[:]
            for sql, args in riders:
                conn.execute(sql, args)
            yield conn
            if self.commit_faults is not None:
                self.commit_faults.before()
            conn.execute("COMMIT")
            del self._riders[:len(riders)]
            if self.commit_faults is not None:
                self.commit_faults.after()
            if self.on_commit is not None and moves_marks:
                self.on_commit()
            self._run_after()
        except sqlite3.Error as e:
            self._after = []
            self._drop(conn)  # never retry on this connection: the next call reopens
            hint = self.disk_hint()
            cls = DiskFull if hint or getattr(e, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL else StoreError
            code = getattr(e, "sqlite_errorcode", None)
            message = f"journal {self.path}: write failed ({e}{hint})"
            if self.on_fault is not None:
                self.on_fault(message)
            raise cls(message, maybe_written=code in MAYBE_WRITTEN or code is None) from None
        except BaseException:
            self._after = []
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            if not fsync and self.conn is conn:
                try:
                    conn.execute("PRAGMA synchronous=FULL")
                except sqlite3.Error:
                    self._drop(conn)  # a reopen sets FULL again; never go on with NORMAL

    def _drop(self, conn: sqlite3.Connection) -> None:
        try:
            conn.close()
        finally:
            self.conn = None

    def peek(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        """A read on a fresh read-only connection, which writes nothing: after a failed commit it tells what
        the file really holds (an fsync error leaves the page cache written), where reopening the terminal's
        own connection would write (schema, pragmas) and fail again on the same disk."""
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10.0)
        except sqlite3.Error as e:
            raise StoreError(f"journal {self.path}: cannot read: {e}") from None
        try:
            conn.row_factory = sqlite3.Row
            return conn.execute(sql, args).fetchall()
        except sqlite3.Error as e:
            raise StoreError(f"journal {self.path}: cannot read: {e}") from None
        finally:
            conn.close()

    def read(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        try:
            return self._connection().execute(sql, args).fetchall()
        except sqlite3.Error as e:
            raise StoreError(f"journal {self.path}: read failed: {e}") from None
