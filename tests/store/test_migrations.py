"""Older journal files open and are brought up to the current layout in one commit; nothing in them is lost."""
from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from terminal.store import Journal, StoreError, TxnState
from terminal.store.migrations import SCHEMA_VERSION

V0 = (Path(__file__).parent / "schema_v0.sql").read_text()


def _v0_file(path: Path) -> None:
    """A journal as posterm wrote it before schema versioning: no txn.tsc, user_version 0, one sale in it."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(V0)
    conn.execute("INSERT INTO meta(key, value) VALUES('stan', '41')")
    conn.execute("INSERT INTO txn(kind, proc_code, amount, currency, stan, local_time, transmitted, entry_mode,"
                 " masked_pan, batch, state, created_at, updated_at) VALUES('purchase', '000000', 250, '156', 41,"
                 " ?, '1125100000', '051', '476173******0119', 1, 'approved', 't0', 't0')",
                 (dt.datetime(2026, 11, 25, 10, 0).isoformat(),))
    conn.close()


def _columns(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[1] for r in conn.execute("PRAGMA table_info(txn)")}
    finally:
        conn.close()


def test_a_v0_file_opens_gains_the_counter_column_and_keeps_its_rows(tmp_path, new_sale):
    path = tmp_path / "old.sqlite3"
    _v0_file(path)
    assert "tsc" not in _columns(path)
    j = Journal(path)
    assert j._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    old = j.txn(1)
    assert old.state is TxnState.APPROVED and old.amount == 250 and old.tsc is None
    tsc = j.next_tsc()
    row = j.begin_txn(new_sale(tsc=tsc))
    assert (row.stan, row.tsc) == (42, 1)   # the STAN goes on from the old file; 9F41 starts at 1
    j.close()
    assert "tsc" in _columns(path)
    j = Journal(path)                       # opening again migrates nothing: already current
    assert j.txn(row.id).tsc == 1 and j.next_tsc() == 2
    j.close()


def test_a_new_file_is_created_current(journal):
    assert journal._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_file_from_a_newer_posterm_is_refused_untouched(tmp_path):
    path = tmp_path / "new.sqlite3"
    Journal(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match=rf"cannot open: journal schema version {SCHEMA_VERSION + 1} is newer"):
        Journal(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    conn.close()
