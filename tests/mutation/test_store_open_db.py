"""The journal file's own checks in process (terminal/store/db.py, errors.py) on real files and a real small
disk (a tmpfs, tests/fixtures/disk.py): the disk-full hint an operator reads beside SQLite's vague 'disk I/O
error', the read that writes nothing (peek), and what a restated error keeps."""
from __future__ import annotations

import os
import shutil

import pytest

from terminal.store import StoreError
from terminal.store.db import Database, DiskFull
from tests.fixtures.disk import fill, small_tmpfs

MIB = 1024 * 1024


def _free(directory) -> int:
    st = os.statvfs(directory)
    return st.f_bavail * st.f_frsize


def _take(directory, name, size) -> None:
    with open(directory / name, "wb") as f:
        f.write(bytes(size))


def test_the_hint_says_the_disk_is_full_below_one_mib_free_and_how_much_is_left(tmp_path):
    with small_tmpfs(tmp_path / "disk", "2m") as disk:
        db = Database(disk / "journal.sqlite3")
        try:
            _take(disk, "a", _free(disk) - MIB)
            assert _free(disk) == MIB and db.disk_hint() == ""  # 1 MiB free is not full
            _take(disk, "b", 4096)
            assert db.disk_hint() == " (the disk is full: 1020 KiB free)"
            fill(disk)
            assert _free(disk) == 0 and db.disk_hint() == " (the disk is full: 0 KiB free)"
            with pytest.raises(DiskFull) as failed:  # a real commit on the full disk
                with db.write() as conn:
                    conn.execute("INSERT INTO meta(key, value) VALUES('filler', ?)", ("x" * 200_000,))
            assert str(failed.value) == (f"journal {disk / 'journal.sqlite3'}: write failed (database or disk is"
                                         " full (the disk is full: 0 KiB free))")
            assert failed.value.maybe_written is False
            assert db.conn is None  # the failed commit's connection is dropped, never retried
            os.unlink(disk / "filler")
            with db.write() as conn:  # room again: the next write reopens and commits
                conn.execute("INSERT INTO meta(key, value) VALUES('after', 'room')")
            assert db.read("SELECT value FROM meta WHERE key=?", ("after",))[0][0] == "room"
        finally:
            db.close()


def test_no_hint_on_a_roomy_disk_or_one_that_cannot_be_asked(tmp_path):
    db = Database(tmp_path / "data" / "journal.sqlite3")
    db.close()
    assert _free(tmp_path) > MIB and db.disk_hint() == ""
    shutil.rmtree(tmp_path / "data")  # the data dir is gone: statvfs fails, no hint is made up
    assert db.disk_hint() == ""


def test_peek_reads_what_the_file_holds_and_names_the_file_when_it_cannot(tmp_path):
    path = tmp_path / "journal.sqlite3"
    db = Database(path)
    with db.write() as conn:
        conn.execute("INSERT INTO meta(key, value) VALUES('stan', '41')")
    assert [tuple(r) for r in db.peek("SELECT key, value FROM meta WHERE key=?", ("stan",))] == [("stan", "41")]
    assert db.peek("SELECT value FROM meta WHERE key=?", ("stan",))[0]["value"] == "41"
    with pytest.raises(StoreError) as bad:
        db.peek("SELECT * FROM txn_gone")
    assert str(bad.value) == f"journal {path}: cannot read: no such table: txn_gone"
    db.close()
    os.unlink(path)
    with pytest.raises(StoreError) as gone:
        db.peek("SELECT 1")
    assert str(gone.value) == f"journal {path}: cannot read: unable to open database file"
    assert not path.exists()  # a read that writes nothing creates nothing


@pytest.mark.parametrize("cls", [StoreError, DiskFull])
@pytest.mark.parametrize("maybe", [True, False])
def test_a_restated_error_keeps_its_kind_and_whether_the_commit_may_be_on_disk(cls, maybe):
    e = cls("journal j.sqlite3: write failed (disk I/O error)", maybe_written=maybe).restated("nothing sent")
    assert type(e) is cls and e.maybe_written is maybe
    assert str(e) == "journal j.sqlite3: write failed (disk I/O error): nothing sent"
    assert cls("journal j.sqlite3: cannot open").maybe_written is False  # unless told, surely not written


def test_a_data_dir_is_made_with_its_parents_and_a_closed_journal_reopens_to_read(tmp_path):
    path = tmp_path / "var" / "lib" / "posterm" / "journal.sqlite3"
    db = Database(path)
    assert db.now().endswith("+00:00")  # the system clock, in UTC
    with db.write() as conn:
        conn.execute("INSERT INTO meta(key, value) VALUES('stan', '7')")
    db.close()
    assert db.conn is None
    assert [tuple(r) for r in db.read("SELECT key, value FROM meta WHERE key=?", ("stan",))] == [("stan", "7")]
    with pytest.raises(StoreError) as bad:
        db.read("SELECT * FROM txn_gone")
    assert str(bad.value) == f"journal {path}: read failed: no such table: txn_gone"
    db.close()


def test_a_journal_that_cannot_be_opened_says_why_in_one_line(tmp_path):
    (tmp_path / "data").write_bytes(b"")  # where the data dir should be is a file
    path = tmp_path / "data" / "journal.sqlite3"
    with pytest.raises(StoreError) as failed:
        Database(path)
    assert str(failed.value) == f"journal {path}: cannot open: [Errno 17] File exists: '{tmp_path / 'data'}'"


def test_a_riding_row_and_an_after_commit_action_go_with_the_next_commit_only(tmp_path):
    """ride(): a row written inside the next write, whatever it is for; after_commit(): told to the outside
    world once that write is on disk, never when it fails."""
    db = Database(tmp_path / "journal.sqlite3")
    told: list[str] = []
    db.ride("INSERT INTO meta(key, value) VALUES(?, ?)", ("carried", "10.0.0.1:5000"))
    with pytest.raises(RuntimeError):
        with db.write() as conn:
            db.after_commit(lambda: told.append("failed write"))
            raise RuntimeError("the caller gave up")  # rolled back: the rider waits for the next commit
    assert told == [] and db.read("SELECT value FROM meta WHERE key='carried'") == []
    with db.write() as conn:
        db.after_commit(lambda: told.append("committed"))
        conn.execute("INSERT INTO meta(key, value) VALUES('stan', '1')")
        assert told == []  # not before the commit
    assert told == ["committed"]
    assert [tuple(r) for r in db.read("SELECT key, value FROM meta ORDER BY key")] == [
        ("carried", "10.0.0.1:5000"), ("stan", "1")]
    with db.write() as conn:  # the rider went with the commit that held it: never written twice
        conn.execute("UPDATE meta SET value='2' WHERE key='stan'")
    assert db.read("SELECT COUNT(*) FROM meta WHERE key='carried'")[0][0] == 1
    db.close()
