"""What the journal must be, kept beside it: `journal.identity` (JSON) in the data dir.

    {"format": 1, "terminal_id": "TERM0001", "creation_id": "6f1c...", "created_at": "...",
     "stan": 41, "batch": 3, "txn_id": 57, "previous": [...]}

The journal file holds the same creation id and terminal id in its meta table. On every open the two must
agree, and the journal's own marks (last STAN, open batch, last transaction id) must not be behind the
identity's. So a journal that was deleted, truncated to 0 bytes, swapped for another terminal's or another
creation, or rolled back to an older copy is refused with one line, before anything is written or sent:
nothing is ever silently started afresh over a terminal's books.

Writes. The file is always replaced atomically (a temporary file, then rename). The marks follow every commit
that moves them, written right after that commit without an fsync of their own: an approved sale stays at
two fsyncs. The page cache keeps them exact across a crash of the process; a power loss can lose only the
marks written since the last durable write, never put them ahead of the journal (they are written after the
journal's commit is on disk), so a good journal is never refused. Durable writes (fsync of the file and of
the directory) happen at the quiet points: creation, `posterm journal new`, a settlement that closes a batch,
and when the journal is closed at the end of a command.
"""
from __future__ import annotations

import json
import os
import secrets
import sqlite3
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from terminal.store.errors import StoreError

FORMAT = 1
NAME = "journal.identity"
STAN_MAX = BATCH_MAX = 999_999


class IdentityError(StoreError):
    """The journal is not the one this data dir must hold: refused, nothing written (exit 2)."""


@dataclass(frozen=True)
class Marks:
    stan: int = 0    # last STAN handed out (0: none yet)
    batch: int = 1   # the open batch
    txn_id: int = 0  # the last transaction row

    @staticmethod
    def of(conn: sqlite3.Connection) -> "Marks":
        meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('stan', 'batch')").fetchall())
        top = conn.execute("SELECT MAX(id) FROM txn").fetchone()[0]
        return Marks(int(meta.get("stan", 0)), int(meta.get("batch", 1)), int(top or 0))

    def behind(self, other: "Marks") -> str | None:
        """What of `self` is behind `other`, in words, or None. STAN and batch wrap at 999999: a value counts as
        behind when it trails by less than half the range."""
        def trails(mine: int, theirs: int, top: int) -> bool:
            return 0 < (theirs - mine) % top < top // 2
        if self.txn_id < other.txn_id:
            return f"last transaction {self.txn_id} < {other.txn_id}"
        if trails(self.stan, other.stan, STAN_MAX):
            return f"last STAN {self.stan:06d} < {other.stan:06d}"
        if trails(self.batch, other.batch, BATCH_MAX):
            return f"batch {self.batch:06d} < {other.batch:06d}"
        return None


@dataclass(frozen=True)
class Identity:
    terminal_id: str
    creation_id: str
    created_at: str
    stan: int = 0
    batch: int = 1
    txn_id: int = 0
    previous: list = field(default_factory=list)  # journals this one replaced: creation id, file kept aside
    format: int = FORMAT

    @property
    def marks(self) -> Marks:
        return Marks(self.stan, self.batch, self.txn_id)

    def with_marks(self, m: Marks) -> "Identity":
        return replace(self, stan=m.stan, batch=m.batch, txn_id=m.txn_id)


def new_creation_id() -> str:
    return secrets.token_hex(8)


def path_beside(journal: Path) -> Path:
    """journal.sqlite3 -> journal.identity, in the same directory (each journal file has its own)."""
    return journal.with_name(journal.stem + ".identity")


def read(path: Path) -> Identity | None:
    """The identity file, None when there is none; refused when it is there but unreadable."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise IdentityError(f"journal identity {path}: cannot read: {e.strerror}") from None
    try:
        d = json.loads(raw)
        ident = Identity(**d)
        if ident.format != FORMAT or not ident.creation_id:
            raise ValueError("unknown format")
        return ident
    except (ValueError, TypeError):
        raise IdentityError(f"journal identity {path}: damaged ({len(raw)} bytes, not a posterm identity);"
                            " `posterm journal check` says what the journal holds") from None


def write(path: Path, ident: Identity, *, durable: bool) -> None:
    """Replace the file atomically; durable: fsync the file before the rename and the directory after it."""
    tmp = path.with_name(path.name + ".tmp")
    data = json.dumps(asdict(ident), sort_keys=True).encode() + b"\n"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        if durable:
            dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
    except OSError as e:
        raise StoreError(f"journal identity {path}: cannot write: {e.strerror}") from None


def stamp(conn: sqlite3.Connection, ident: Identity) -> None:
    """Write the identity's ids into the journal's meta table, inside the caller's write."""
    for key in ("creation_id", "terminal_id"):
        conn.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                     (key, getattr(ident, key)))
