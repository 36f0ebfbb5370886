"""`posterm journal check` in process (terminal/store/upkeep.py check and lifecycle_problems) on real SQLite
files: every finding is one exact line naming the row or file, a sound journal gets its three "ok" lines, and a
journal that is missing, empty, not SQLite, damaged, another creation's or forged is reported, never opened
afresh."""
from __future__ import annotations

import shutil
import sqlite3

from terminal.store import identity as idf
from terminal.store.upkeep import check, lifecycle_problems
from tests.mutation.store_open_books import SALE, approved, forge, open_journal, sales, tamper


def _cid(path) -> str:
    return idf.read(idf.path_beside(path)).creation_id


def test_every_row_is_held_against_the_lifecycle_and_each_finding_names_its_row(tmp_path):
    path = tmp_path / "journal.sqlite3"
    j = open_journal(path)
    approved(j)                                                                # 1: sending -> approved
    rev = j.begin_txn(SALE)                                                    # 2: reversed, delivered
    j.saf_done(j.queue(rev.id, "reversal", "68", "reversal_pending", "no response"), "reversed", "host acknowledged")
    owed = j.begin_txn(SALE)
    j.queue(owed.id, "reversal", "68", "reversal_pending", "no response")     # 3: reversal still queued
    offline = dict(kind="purchase", proc_code="000000", amount=5, currency="156", local_time=j.txn(1).local_time,
                   entry_mode="051", masked_pan="476173******0119", psn="01", chip_code="Y1", message="")
    j.begin_offline(**offline, seal=lambda tid: b"sealed card data")          # 4: advice still queued
    acked = j.begin_offline(**offline, seal=lambda tid: b"sealed card data")  # 5: advice delivered
    j.saf_done(j.saf.for_txn(acked.id)[0], "offline_approved", "advice acknowledged")
    j.close()
    conn = sqlite3.connect(path)
    forge(conn, [], "approved")                                                  # 6
    forge(conn, ["sending", "bogus"], "bogus")                                   # 7
    forge(conn, ["approved", "voided"], "voided")                                # 8
    forge(conn, ["sending", "reversal_pending", "reversed", "approved"], "approved")  # 9
    forge(conn, ["sending", "reversal_pending", "reversed"], "approved")         # 10
    forge(conn, ["sending", "reversal_pending"], "reversal_pending")             # 11
    forge(conn, ["advice_pending"], "advice_pending")                            # 12
    forge(conn, ["sending", "approved"], "approved", batch=2)                    # 13
    conn.execute("UPDATE saf SET sealed=x'00' WHERE txn_id=5")                   # entry 4: delivered, card data kept
    conn.commit()
    problems = [
        "transaction 6: no history",
        "transaction 7: 'bogus' is not a valid TxnState",
        "transaction 8: starts in approved, not a state a transaction starts in",
        "transaction 9: reversed -> approved is not a transition of the lifecycle",
        "transaction 10: state approved but its history ends in reversed",
        "transaction 11: reversal pending but no reversal queued",
        "transaction 12: advice pending but no advice queued",
        "transaction 13: batch 000002 is after the open batch 000001",
        "store-and-forward entry 4: delivered but still holds card data",
    ]
    assert lifecycle_problems(conn) == problems
    conn.close()
    good, bad = check(path)
    # the identity line says what the identity file holds (the forged rows came after its last write)
    assert good == ["SQLite integrity check: ok", f"identity: terminal TERM0001, creation {_cid(path)}, last STAN"
                    " 000007, batch 000001, transaction 5"]
    assert bad == problems


def test_the_open_batch_is_the_one_the_journal_names(tmp_path):
    path = tmp_path / "journal.sqlite3"
    sales(path, 2)
    tamper(path, "INSERT INTO meta(key, value) VALUES('batch', '3')", "UPDATE txn SET batch=3")
    conn = sqlite3.connect(path)
    forge(conn, ["sending", "approved"], "approved", batch=4)
    conn.commit()
    assert lifecycle_problems(conn) == ["transaction 3: batch 000004 is after the open batch 000003"]
    conn.close()


def test_a_sound_journal_gets_its_three_ok_lines(tmp_path):
    path = tmp_path / "journal.sqlite3"
    sales(path, 2, terminal_id=None)  # no [terminal] id given yet: the identity names none
    assert check(path) == (["SQLite integrity check: ok",
                            f"identity: terminal ?, creation {_cid(path)}, last STAN 000002, batch 000001,"
                            " transaction 2",
                            "lifecycle: 2 transaction(s), every history follows the lifecycle"], [])


def test_a_missing_journal_is_reported_and_not_created(tmp_path):
    path = tmp_path / "journal.sqlite3"
    assert check(path) == ([], [f"journal {path}: missing"])
    assert not path.exists() and not idf.path_beside(path).exists()


def test_a_lost_journal_is_reported_with_what_its_identity_says_it_held(tmp_path):
    path = tmp_path / "journal.sqlite3"
    sales(path, 3)
    cid = _cid(path)
    path.unlink()
    assert check(path) == ([], [f"journal {path}: missing", f"identity says: terminal TERM0001, creation {cid}, last"
                                                           " STAN 000003, batch 000001, transaction 3"])
    assert not path.exists()


def test_a_journal_truncated_to_zero_bytes_is_reported_with_its_identity(tmp_path):
    path = tmp_path / "journal.sqlite3"
    sales(path, 1, terminal_id=None)
    cid = _cid(path)
    path.write_bytes(b"")
    assert check(path) == ([], [f"journal {path}: empty (0 bytes)", f"identity says: terminal ?, creation {cid}, last"
                                                                   " STAN 000001, batch 000001, transaction 1"])
    assert path.stat().st_size == 0


def test_an_empty_file_with_no_identity_is_reported_empty(tmp_path):
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"")
    assert check(path) == ([], [f"journal {path}: empty (0 bytes)"])


def test_a_file_that_is_not_sqlite_is_reported_in_one_line(tmp_path):
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"not a journal at all " * 200)
    assert check(path) == ([], [f"journal {path}: not a readable SQLite journal: file is not a database"])


def test_a_damaged_index_is_reported_line_by_line_ten_at_most(tmp_path):
    path = tmp_path / "journal.sqlite3"
    sales(path, 12)
    # an index that no longer matches its table, as a torn page or a hand edit leaves it
    tamper(path, "PRAGMA writable_schema=ON",
           "UPDATE sqlite_master SET sql='CREATE INDEX txn_amount ON txn(stan)' WHERE name='txn_amount'")
    good, bad = check(path)
    assert bad == [f"SQLite integrity check: row {i} missing from index txn_amount" for i in range(1, 11)]
    assert good == [f"identity: terminal TERM0001, creation {_cid(path)}, last STAN 000012, batch 000001,"
                    " transaction 12", "lifecycle: 12 transaction(s), every history follows the lifecycle"]


def test_a_row_referring_to_no_transaction_is_reported(tmp_path):
    path = tmp_path / "journal.sqlite3"
    sales(path, 1)
    tamper(path, "INSERT INTO txn_event(txn_id, at, state, reason) VALUES(99, 'x', 'approved', 'forged')")
    good, bad = check(path)
    assert bad == ["1 row(s) refer to rows that do not exist"]
    assert good[0] == "SQLite integrity check: ok" and len(good) == 3


def test_another_creations_journal_is_reported_by_its_identity(tmp_path):
    path = tmp_path / "journal.sqlite3"
    other = tmp_path / "other" / "journal.sqlite3"
    sales(path, 1)
    sales(other, 1)
    mine, theirs = _cid(path), _cid(other)
    shutil.copy(other, path)
    good, bad = check(path)
    assert bad == [f"identity: journal {path} is another journal (creation {theirs}), not terminal TERM0001's"
                   f" journal (creation {mine}) that this data dir holds; nothing was written"]
    assert good == ["SQLite integrity check: ok", "lifecycle: 1 transaction(s), every history follows the lifecycle"]
    assert _cid(path) == mine  # the identity stays the data dir's


def test_rows_that_cannot_be_read_are_reported_after_what_else_is_wrong(tmp_path):
    path = tmp_path / "journal.sqlite3"
    sales(path, 1)
    tamper(path, "DROP TABLE txn_event", "CREATE VIEW txn_event AS SELECT 1 AS txn_id, 'sending' AS state")
    assert check(path) == (["SQLite integrity check: ok"],
                           [f"identity: journal {path}: cannot open: views may not be indexed",
                            "cannot read the rows: no such column: id"])
