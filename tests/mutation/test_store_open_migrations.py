"""Two terminals' processes (here: two connections) opening the same old journal at once migrate it once
(terminal/store/migrations.py): the version is read again under the write lock, so the one that waited finds
the file current and changes nothing."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from terminal.store import StoreError
from terminal.store.migrations import SCHEMA_VERSION, migrate, version

V0 = (Path(__file__).parents[1] / "store" / "schema_v0.sql").read_text()


def _two_opens(path):
    """A v0 file and two connections to it, as two processes opening it at once would have."""
    conn = sqlite3.connect(path)
    conn.executescript(V0)
    conn.close()
    return sqlite3.connect(path, isolation_level=None), sqlite3.connect(path, isolation_level=None)


def test_an_old_file_migrated_by_another_process_while_waiting_for_the_lock_is_left_as_it_is(tmp_path):
    path = tmp_path / "journal.sqlite3"
    mine, theirs = _two_opens(path)
    ran: list[str] = []

    def the_other_process_first(sql: str) -> None:
        """Just as this open takes the write lock, the other open (which read version 0 too) migrates."""
        ran.append(sql)
        if sql == "BEGIN IMMEDIATE" and not theirs.in_transaction and version(theirs) == 0:
            migrate(theirs)
    mine.set_trace_callback(the_other_process_first)
    migrate(mine)
    mine.set_trace_callback(None)
    assert ran[:3] == ["PRAGMA user_version", "BEGIN IMMEDIATE", "PRAGMA user_version"]
    assert version(mine) == SCHEMA_VERSION and not mine.in_transaction
    assert [r[1] for r in mine.execute("PRAGMA table_info(txn)")].count("tsc") == 1
    mine.close()
    theirs.close()


def test_an_old_file_a_newer_posterm_took_over_while_waiting_for_the_lock_is_refused_and_rolled_back(tmp_path):
    path = tmp_path / "journal.sqlite3"
    mine, theirs = _two_opens(path)

    def a_newer_posterm_first(sql: str) -> None:
        if sql == "BEGIN IMMEDIATE" and version(theirs) == 0:
            theirs.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    mine.set_trace_callback(a_newer_posterm_first)
    with pytest.raises(StoreError) as refused:
        migrate(mine)
    mine.set_trace_callback(None)
    assert str(refused.value) == (f"journal schema version {SCHEMA_VERSION + 1} is newer than this posterm knows"
                                  f" ({SCHEMA_VERSION})")
    assert not mine.in_transaction  # rolled back: the write lock is given up, nothing of the old steps written
    assert version(mine) == SCHEMA_VERSION + 1 and "tsc" not in {r[1] for r in mine.execute("PRAGMA table_info(txn)")}
    theirs.execute("BEGIN IMMEDIATE")  # the other process can write
    theirs.execute("ROLLBACK")
    mine.close()
    theirs.close()


def test_a_file_from_a_newer_posterm_is_refused_before_anything_is_written_to_it(tmp_path):
    """A newer layout that dropped an index and a table this posterm knows: refusing it after schema.sql ran
    would have put both back into the newer terminal's books."""
    from terminal.store.db import Database
    path = tmp_path / "journal.sqlite3"
    Database(path).close()
    conn = sqlite3.connect(path)
    conn.execute("DROP INDEX txn_amount")
    conn.execute("DROP TABLE txn_message")
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    try:
        Database(path)
    except StoreError as e:
        assert str(e) == (f"journal {path}: cannot open: journal schema version {SCHEMA_VERSION + 1} is newer than"
                          f" this posterm knows ({SCHEMA_VERSION})")
    else:
        raise AssertionError("a newer journal was opened")
    assert path.read_bytes() == before
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT name FROM sqlite_master WHERE name IN ('txn_amount', 'txn_message')").fetchall() == []
    conn.close()
