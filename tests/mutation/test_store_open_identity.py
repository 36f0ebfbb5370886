"""The journal's identity (terminal/store/identity.py) on real files, in process: what the file beside the
journal holds, and every way an open is refused before anything is written (damaged or unreadable identity,
a journal behind its high-water marks, with STAN and batch wrapping at 999999); and the one line each
refusal gives the operator."""
from __future__ import annotations

import json
import stat

import pytest

from terminal.store import StoreError
from terminal.store import identity as idf
from terminal.store.upkeep import check
from tests.mutation.store_open_books import open_journal, sales


def _set_marks(path, stan: int | None = None, batch: int | None = None, txn_id: int | None = None):
    """Move the identity's marks as a newer journal (now lost) would have left them."""
    side = idf.path_beside(path)
    ident = idf.read(side)
    m = ident.marks
    idf.write(side, ident.with_marks(idf.Marks(m.stan if stan is None else stan, m.batch if batch is None else batch,
                                                m.txn_id if txn_id is None else txn_id)), durable=False)


def test_the_identity_file_is_sorted_json_on_one_line_readable_only_by_the_terminal(tmp_path):
    path = tmp_path / "journal.sqlite3"
    sales(path, 2)
    side = tmp_path / "journal.identity"
    ident = idf.read(side)
    raw = side.read_bytes()
    assert raw == json.dumps(json.loads(raw), sort_keys=True).encode() + b"\n"
    assert json.loads(raw) == {"format": 1, "terminal_id": "TERM0001", "creation_id": ident.creation_id,
                               "created_at": "2026-12-01T09:30:00.000+00:00", "stan": 2, "batch": 1, "txn_id": 2,
                               "previous": []}
    assert stat.S_IMODE(side.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if "identity" in p.name) == ["journal.identity"]  # no .tmp left


def test_an_empty_journal_records_no_stan_batch_1_and_no_transaction(tmp_path):
    path = tmp_path / "journal.sqlite3"
    open_journal(path).close()
    ident = idf.read(idf.path_beside(path))
    assert (ident.stan, ident.batch, ident.txn_id) == (0, 1, 0)
    assert check(path) == (["SQLite integrity check: ok",
                            f"identity: terminal TERM0001, creation {ident.creation_id}, last STAN 000000, batch"
                            " 000001, transaction 0",
                            "lifecycle: 0 transaction(s), every history follows the lifecycle"], [])


@pytest.mark.parametrize("raw", [b"{damaged", b'{"format": 2, "terminal_id": "T", "creation_id": "ab",'
                                              b' "created_at": "x"}',
                                 b'{"format": 1, "terminal_id": "T", "creation_id": "", "created_at": "x"}',
                                 b'{"format": 1, "creation_id": "ab", "color": "red"}'])
def test_a_damaged_identity_refuses_the_open_in_one_line(tmp_path, raw):
    path = tmp_path / "journal.sqlite3"
    sales(path, 1)
    side = idf.path_beside(path)
    side.write_bytes(raw)
    with pytest.raises(idf.IdentityError) as refused:
        open_journal(path)
    assert str(refused.value) == (f"journal identity {side}: damaged ({len(raw)} bytes, not a posterm identity);"
                                  " `posterm journal check` says what the journal holds")
    assert side.read_bytes() == raw  # left as found


def test_an_identity_that_cannot_be_read_refuses_the_open(tmp_path):
    path = tmp_path / "journal.sqlite3"
    side = idf.path_beside(path)
    side.mkdir()  # what is there is not a file
    with pytest.raises(idf.IdentityError) as refused:
        open_journal(path)
    assert str(refused.value) == f"journal identity {side}: cannot read: Is a directory"
    assert not path.exists()


def test_an_identity_that_cannot_be_written_is_a_store_error_naming_it(tmp_path):
    side = tmp_path / "journal.identity"
    side.mkdir()
    ident = idf.Identity("TERM0001", idf.new_creation_id(), "2026-12-01T09:30:00.000+00:00")
    with pytest.raises(StoreError) as failed:
        idf.write(side, ident, durable=True)
    assert str(failed.value) == f"journal identity {side}: cannot write: Is a directory"


@pytest.mark.parametrize("marks, behind", [
    ({"txn_id": 4}, "last transaction 3 < 4"),
    ({"stan": 4}, "last STAN 000003 < 000004"),
    ({"batch": 2}, "batch 000001 < 000002"),
    ({"stan": 499_999 + 3 - 1}, "last STAN 000003 < 500001"),  # 499998 behind: less than half the range
])
def test_a_journal_behind_its_high_water_marks_is_refused(tmp_path, marks, behind):
    path = tmp_path / "journal.sqlite3"
    sales(path, 3)
    _set_marks(path, **marks)
    with pytest.raises(idf.IdentityError) as refused:
        open_journal(path)
    assert str(refused.value) == (f"journal {path} is behind its high-water marks ({behind}): an older copy of the"
                                  " books; restore the newest file, or start a new journal on purpose with"
                                  " `posterm journal new`")


@pytest.mark.parametrize("marks", [
    {"stan": 999_998},          # the journal's STAN 3 came after 999998: it wrapped, it is not behind
    {"stan": 499_999 + 3},      # half the range or more ahead counts as wrapped
    {"batch": 999_999},         # the same for the batch number
    {"stan": 2, "batch": 1, "txn_id": 2},  # the identity lags the journal (a power loss): never refused
])
def test_a_journal_ahead_of_or_wrapped_past_its_marks_opens(tmp_path, marks):
    path = tmp_path / "journal.sqlite3"
    sales(path, 3)
    _set_marks(path, **marks)
    j = open_journal(path)
    try:
        assert j.next_stan() == 4
    finally:
        j.close()
