"""The journal's identity in this process (store/journal.py over store/identity.py): a journal that is missing,
empty, another terminal's or another creation's, or older than its marks is refused with the exact line the
operator reads, before anything is written; a good one is accepted, and its marks follow every commit."""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from terminal.store import Journal, NewTxn
from terminal.store.identity import IdentityError, Marks

NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)
SALE = NewTxn(kind="purchase", proc_code="000000", amount=1234, currency="156",
              local_time=dt.datetime(2026, 12, 1, 17, 30), transmitted="1201093000", entry_mode="051",
              masked_pan="476173******0010")
NEW = "restore it, or start a new journal on purpose with `posterm journal new`"


def open_(path: Path, terminal_id: str | None = "TERM0001") -> Journal:
    return Journal(path, terminal_id=terminal_id, utc=lambda: NOW)


def ident(path: Path) -> dict:
    return json.loads(path.with_name("journal.identity").read_text())


def meta(path: Path) -> dict:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('creation_id', 'terminal_id')"))
    finally:
        conn.close()


def refused(path: Path, terminal_id: str | None = "TERM0001") -> str:
    with pytest.raises(IdentityError) as e:
        open_(path, terminal_id)
    return str(e.value)


def with_sales(path: Path, n: int, terminal_id: str | None = "TERM0001") -> dict:
    j = open_(path, terminal_id)
    for _ in range(n):
        j.begin_txn(SALE)
    j.close()
    return ident(path)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    return tmp_path / "data" / "journal.sqlite3"


def test_the_first_open_makes_the_identity_and_the_marks_follow_each_commit(path):
    j = open_(path)
    first = ident(path)
    assert first == {"terminal_id": "TERM0001", "creation_id": first["creation_id"],
                     "created_at": "2026-12-01T09:30:00.000+00:00", "stan": 0, "batch": 1, "txn_id": 0,
                     "previous": [], "format": 1}
    assert re.fullmatch(r"[0-9a-f]{16}", first["creation_id"])
    assert meta(path) == {"creation_id": first["creation_id"], "terminal_id": "TERM0001"}
    assert j.ident.creation_id == first["creation_id"] and j.identity_path == path.with_name("journal.identity")
    j.begin_txn(SALE)
    j.begin_txn(SALE)
    assert (ident(path)["stan"], ident(path)["txn_id"]) == (2, 2)     # before any quiet point
    sid, _ = j.begin_settlement(1, (0, 0), (2, 2468))
    j.end_settlement(sid, "closed", "00", "batch closed")
    assert (ident(path)["stan"], ident(path)["batch"]) == (3, 2)
    j.close()
    again = open_(path)                                                # the same journal: accepted
    assert again.ident.marks == Marks(stan=3, batch=2, txn_id=2) and again.current_batch() == 2
    again.close()


def test_a_command_that_moves_nothing_leaves_the_identity_file_alone(path):
    with_sales(path, 1)
    before = path.with_name("journal.identity").stat()
    j = open_(path, None)
    j.txns()
    j.close()
    after = path.with_name("journal.identity").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_marks_that_could_not_be_written_are_written_at_the_next_quiet_point(path):
    j = open_(path)
    blocker = path.with_name("journal.identity.tmp")
    blocker.mkdir()                                # the identity cannot be replaced for now
    j.begin_txn(SALE)
    assert ident(path)["txn_id"] == 0              # behind: the safe side
    blocker.rmdir()
    j.close()                                      # the quiet point writes them
    assert (ident(path)["stan"], ident(path)["txn_id"]) == (1, 1)


def test_another_terminals_journal_is_refused_before_it_is_opened(path):
    with_sales(path, 1)
    assert refused(path, "TERM0002") == (f"journal {path} is terminal TERM0001's, but this terminal is configured"
                                         " as TERM0002 ([terminal] id): nothing was written")
    j = open_(path, None)                          # a command that names no terminal reads it
    j.close()


def test_a_missing_or_empty_journal_is_refused_naming_the_books_the_identity_holds(path):
    first = with_sales(path, 1)
    books = (f"terminal TERM0001's journal (creation {first['creation_id']}, last STAN 000001, transaction 1)")
    path.write_bytes(b"")
    assert refused(path) == f"journal {path} is empty (0 bytes), but it holds {books}: {NEW}"
    path.unlink()
    assert refused(path) == (f"journal {path} is missing, but the identity file journal.identity says {books}"
                             f" lives here: {NEW}")
    assert not path.exists()                       # not created by the refusal


def test_an_empty_journal_without_identity_is_refused(path):
    path.write_bytes(b"")
    assert refused(path) == (f"journal {path} is empty (0 bytes): it is not started afresh over lost books;"
                             f" {NEW}")


def test_a_journal_that_never_held_a_transaction_starts_again_under_its_identity(path):
    j = open_(path)
    cid = j.ident.creation_id
    j.close()
    path.unlink()
    j = open_(path)
    assert j.ident.creation_id == cid and meta(path) == {"creation_id": cid, "terminal_id": "TERM0001"}
    assert ident(path)["creation_id"] == cid
    j.close()


def test_a_journal_with_books_but_no_identity_file_is_refused(path):
    with_sales(path, 1)
    path.with_name("journal.identity").unlink()
    assert refused(path) == (f"journal {path}: its identity file journal.identity is missing, so nothing says this"
                             f" is the right journal for this data dir; restore the file, or start a new journal on"
                             f" purpose with `posterm journal new`")
    assert not path.with_name("journal.identity").exists()


def test_a_journal_with_only_a_stan_taken_and_no_identity_file_is_refused(path):
    j = open_(path)
    j.next_stan()                                  # a sign-on: a STAN went out, no row
    j.close()
    path.with_name("journal.identity").unlink()
    assert "its identity file journal.identity is missing" in refused(path)


def test_an_unused_journal_that_lost_its_identity_file_gets_it_back(path):
    j = open_(path, None)
    cid = j.ident.creation_id
    j.close()
    path.with_name("journal.identity").unlink()
    j = open_(path, None)
    assert (j.ident.creation_id, j.ident.terminal_id) == (cid, "")
    assert ident(path)["creation_id"] == cid and ident(path)["terminal_id"] == ""
    j.close()


def test_a_journal_from_before_identities_is_adopted_with_its_marks(path):
    with_sales(path, 2)
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM meta WHERE key IN ('creation_id', 'terminal_id')")
    conn.commit()
    conn.close()
    path.with_name("journal.identity").unlink()
    j = open_(path, None)
    got = ident(path)
    assert (got["terminal_id"], got["stan"], got["txn_id"], got["batch"]) == ("", 2, 2, 1)
    assert meta(path) == {"creation_id": got["creation_id"], "terminal_id": ""}
    assert re.fullmatch(r"[0-9a-f]{16}", got["creation_id"])
    j.close()


def test_the_configured_terminal_id_is_written_into_an_identity_that_had_none(path):
    with_sales(path, 1, terminal_id=None)
    assert ident(path)["terminal_id"] == ""
    j = open_(path, "TERM0001")
    assert j.ident.terminal_id == "TERM0001"
    assert ident(path)["terminal_id"] == "TERM0001" and meta(path)["terminal_id"] == "TERM0001"
    assert ident(path)["txn_id"] == 1
    j.close()


def test_a_journal_of_another_creation_is_refused_saying_whose_it_is(tmp_path, path):
    mine = with_sales(path, 1)
    (tmp_path / "b").mkdir()
    theirs = with_sales(tmp_path / "b" / "journal.sqlite3", 1)
    (tmp_path / "c").mkdir()
    other = with_sales(tmp_path / "c" / "journal.sqlite3", 1, terminal_id="TERM0002")
    shutil.copy(tmp_path / "b" / "journal.sqlite3", path)
    assert refused(path, None) == (f"journal {path} is another journal (creation {theirs['creation_id']}), not"
                                   f" terminal TERM0001's journal (creation {mine['creation_id']}) that this data"
                                   " dir holds; nothing was written")
    shutil.copy(tmp_path / "c" / "journal.sqlite3", path)
    assert refused(path, None) == (f"journal {path} is terminal TERM0002's journal, not terminal TERM0001's"
                                   f" journal (creation {mine['creation_id']}) that this data dir holds; nothing"
                                   " was written")
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM meta WHERE key IN ('creation_id', 'terminal_id')")
    conn.commit()
    conn.close()
    assert refused(path, None) == (f"journal {path} is a journal with no identity of its own (a new or foreign"
                                   f" file), not terminal TERM0001's journal (creation {mine['creation_id']}) that"
                                   " this data dir holds; nothing was written")


def test_a_journal_of_another_creation_under_an_identity_with_no_terminal_says_so(tmp_path, path):
    mine = with_sales(path, 1, terminal_id=None)
    (tmp_path / "b").mkdir()
    theirs = with_sales(tmp_path / "b" / "journal.sqlite3", 1)
    shutil.copy(tmp_path / "b" / "journal.sqlite3", path)
    assert refused(path, None) == (f"journal {path} is another journal (creation {theirs['creation_id']}), not"
                                   f" terminal ?'s journal (creation {mine['creation_id']}) that this data dir"
                                   " holds; nothing was written")


def test_an_older_copy_of_the_books_is_refused(tmp_path, path):
    with_sales(path, 1)
    shutil.copy(path, tmp_path / "old.sqlite3")
    with_sales(path, 1)
    shutil.copy(tmp_path / "old.sqlite3", path)
    assert refused(path) == (f"journal {path} is behind its high-water marks (last transaction 1 < 2): an older"
                             " copy of the books; restore the newest file, or start a new journal on purpose with"
                             " `posterm journal new`")


def test_a_missing_journal_of_an_identity_with_no_terminal_says_so(path):
    first = with_sales(path, 1, terminal_id=None)
    path.unlink()
    assert refused(path, None) == (f"journal {path} is missing, but the identity file journal.identity says"
                                   f" terminal ?'s journal (creation {first['creation_id']}, last STAN 000001,"
                                   f" transaction 1) lives here: {NEW}")


def test_an_identity_made_again_takes_the_terminal_id_the_journal_holds(path):
    j = open_(path, "TERM0001")
    j.close()
    path.with_name("journal.identity").unlink()
    j = open_(path, None)                          # a command that names no terminal
    assert j.ident.terminal_id == "TERM0001" and ident(path)["terminal_id"] == "TERM0001"
    j.close()


def test_an_unused_journal_of_another_creation_is_refused_too(tmp_path, path):
    mine = open_(path)
    mine.close()
    (tmp_path / "b").mkdir()
    theirs = open_(tmp_path / "b" / "journal.sqlite3")
    theirs.close()
    shutil.copy(tmp_path / "b" / "journal.sqlite3", path)
    assert refused(path) == (f"journal {path} is another journal (creation {theirs.ident.creation_id}), not"
                             f" terminal TERM0001's journal (creation {mine.ident.creation_id}) that this data dir"
                             " holds; nothing was written")


def test_reopening_without_a_terminal_id_leaves_the_identity_as_it_was(path):
    with_sales(path, 1, terminal_id=None)
    j = open_(path, None)
    assert j.ident.terminal_id == "" and ident(path)["terminal_id"] == ""
    j.close()


def test_the_identity_is_made_durable_at_the_quiet_points_only(path, monkeypatch):
    """A spy on os.fsync (the real fsync still runs; SQLite's own syncs do not pass through it): the identity
    file is synced when it is made, when the configured terminal id is adopted and when the journal closes,
    never after an ordinary commit, which keeps a sale at SQLite's two fsyncs."""
    import os
    real, synced = os.fsync, []
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    j = open_(path, None)
    assert len(synced) == 2                        # made: the file and its directory
    j.begin_txn(SALE)
    j.begin_txn(SALE)
    assert len(synced) == 2 and ident(path)["txn_id"] == 2
    j.close()
    assert len(synced) == 4                        # the quiet point
    j = open_(path, "TERM0001")                    # adopts the configured id: durable at once
    assert len(synced) == 6
    j.close()
    assert len(synced) == 6                        # nothing moved since: nothing to sync
