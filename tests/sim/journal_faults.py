"""Journal faults through the one seam terminal/store/db.py has for them (Database.commit_faults).

At each commit the simulation may: fail it as a full disk does (SQLITE_FULL) or as an I/O error does
(SQLITE_IOERR), before COMMIT, so SQLite rolls it back and the journal raises DiskFull / StoreError; or kill
the terminal while the commit is being written, either after it reached the disk whole (a crash "in commit")
or with its last frames torn (the WAL cut inside the last transaction, as a power cut mid-write leaves it).

A torn write is made on the real files: the WAL is copied before the dying connection is dropped (closing it
would checkpoint), cut inside its last transaction's frames, and put back without its -shm index, so the next
open recovers from the WAL and verifies its checksums, exactly as after a power cut.
"""
from __future__ import annotations

import random
import shutil
import sqlite3
import struct
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tests.sim.dice import Dice, drawn


class SimCrash(BaseException):
    """The terminal process dies here (BaseException: no `except Exception` in the terminal may swallow it)."""

    def __init__(self, point: str, torn: bool = False) -> None:
        super().__init__(point)
        self.point, self.torn = point, torn


@dataclass
class DiskFaults:
    disk_full: float = 0.0
    io_error: float = 0.0
    crash_in_commit: float = 0.0
    torn_write: float = 0.0

    @classmethod
    def drawn(cls, rng: random.Random) -> "DiskFaults":
        return drawn(cls, rng, 0.005, 0.06)


class JournalFaults(Dice):
    """Database.commit_faults for one schedule; `armed` is off while the simulation itself reads or heals."""

    def __init__(self, rng: random.Random, faults: DiskFaults, fired: Counter, log: list[str]) -> None:
        super().__init__(rng, faults, fired, log)
        self.armed = True

    def _fault(self, name: str) -> bool:
        return self.armed and self.fires(name)

    def before(self) -> None:
        if self._fault("disk_full"):
            raise _sqlite_error("database or disk is full", sqlite3.SQLITE_FULL)
        if self._fault("io_error"):
            raise _sqlite_error("disk I/O error", sqlite3.SQLITE_IOERR)

    def after(self) -> None:
        if self._fault("torn_write"):
            raise SimCrash("in_commit_torn", torn=True)
        if self._fault("crash_in_commit"):
            raise SimCrash("in_commit")


def _sqlite_error(text: str, code: int) -> sqlite3.OperationalError:
    e = sqlite3.OperationalError(text)
    e.sqlite_errorcode = code
    return e


WAL_HEADER, FRAME_HEADER = 32, 24


def wal_of(db: Path) -> Path:
    return Path(str(db) + "-wal")


def torn_copy(db: Path, rng: random.Random) -> tuple[bytes, bytes] | None:
    """The database and its WAL as a power cut during the last commit leaves them (the WAL cut at a random byte
    inside the last transaction's frames); None when the WAL holds no transaction to tear."""
    wal = wal_of(db)
    if not wal.exists():
        return None
    data = wal.read_bytes()
    if len(data) < WAL_HEADER:
        return None
    page_size = struct.unpack(">I", data[8:12])[0]
    salts = data[16:24]
    frame = FRAME_HEADER + page_size
    commits, offset = [], WAL_HEADER
    while offset + frame <= len(data) and data[offset + 8:offset + 16] == salts:
        if struct.unpack(">I", data[offset + 4:offset + 8])[0]:   # db size after commit: a commit frame
            commits.append(offset + frame)
        offset += frame
    if not commits:
        return None
    start = commits[-2] if len(commits) > 1 else WAL_HEADER
    cut = rng.randrange(start, commits[-1])
    return db.read_bytes(), data[:cut]


def restore(db: Path, image: tuple[bytes, bytes]) -> None:
    """Put the torn image back as the files the next start finds (no -shm: SQLite rebuilds it from the WAL)."""
    main, wal = image
    db.write_bytes(main)
    wal_of(db).write_bytes(wal)
    Path(str(db) + "-shm").unlink(missing_ok=True)


def remove_journal(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    shutil.rmtree(db.parent, ignore_errors=True)
