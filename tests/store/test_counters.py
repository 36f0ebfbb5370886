"""The 9F41 transaction sequence counter: persistent in the journal file, one up per call, across a reopen
and a killed process, wrapping after 99999999 (n8), and committed without an fsync of its own."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path


from terminal.store import Journal
from terminal.store.counters import TSC_MAX

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, *args: str, strace: Path | None = None) -> str:
    cmd = [sys.executable, "-c", code, *args]
    if strace is not None:
        cmd = ["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync,write", "-o", str(strace), *cmd]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout


def test_starts_at_one_and_counts_up_across_reopen(journal_path):
    j = Journal(journal_path)
    assert [j.next_tsc() for _ in range(3)] == [1, 2, 3]
    j.close()
    j = Journal(journal_path)
    assert j.next_tsc() == 4
    assert j.counters.last_tsc() == 4
    j.close()


def test_a_closed_journal_reopened_with_nothing_else_done_counts_on(journal_path):
    j = Journal(journal_path)
    j.next_tsc()
    j.db.close()               # no checkpoint call, no other write: just the connection gone
    assert Journal(journal_path).next_tsc() == 2


def test_a_killed_process_loses_no_counter(journal_path):
    """The value is in the file the moment next_tsc returns: a process killed right after (no close, no
    atexit, no checkpoint) comes back one higher."""
    code = ("import os, sys; from terminal.store import Journal; j = Journal(sys.argv[1]);"
            " print(j.next_tsc(), j.next_tsc()); os._exit(0)")
    assert _python(code, str(journal_path)).split() == ["1", "2"]
    assert _python(code, str(journal_path)).split() == ["3", "4"]
    assert Journal(journal_path).next_tsc() == 5


def test_wraps_after_99999999_to_1(journal):
    journal.next_tsc()
    journal._conn.execute("UPDATE meta SET value=? WHERE key='tsc'", (str(TSC_MAX - 1),))
    assert [journal.next_tsc() for _ in range(3)] == [TSC_MAX, 1, 2]  # never 0: n8 in 4 BCD bytes, 00000000 unused


def test_the_counter_is_independent_of_the_stan(journal, new_sale):
    journal.begin_txn(new_sale())
    journal.next_stan()
    assert journal.next_tsc() == 1
    assert journal.begin_txn(new_sale()).stan == 3


def test_the_row_keeps_the_counter_the_card_saw(journal, new_sale):
    tsc = journal.next_tsc()
    row = journal.begin_txn(new_sale(tsc=tsc))
    assert row.tsc == tsc == journal.txn(row.id).tsc
    assert journal.begin(**dataclasses.asdict(new_sale())).tsc is None   # magstripe: no 9F41


def test_synchronous_is_full_again_after_the_counter(journal):
    journal.next_tsc()
    assert journal._conn.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_the_counter_costs_no_fsync_and_the_next_commit_carries_it(tmp_path):
    """Counted like bench/bench_txn.py counts a sale: fsyncs seen by strace in a real process, between marks
    the process writes (opening the file fsyncs too, when it creates the WAL: not counted here)."""
    path = tmp_path / "j.sqlite3"
    trace = tmp_path / "trace.txt"
    code = ("import os, sys; from terminal.store import Journal; j = Journal(sys.argv[1]);"
            " os.write(1, b'MARK1'); [j.next_tsc() for _ in range(5)]; os.write(1, b'MARK2'); j.next_stan();"
            " os.write(1, b'MARK3'); os._exit(0)")
    _python(code, str(path), strace=trace)
    lines = [line for line in trace.read_text().splitlines() if "sync(" in line or "MARK" in line]
    marks = [i for i, line in enumerate(lines) if "MARK" in line]
    assert len(marks) == 3, lines
    assert marks[1] - marks[0] - 1 == 0, lines   # five counters: no fsync
    assert marks[2] - marks[1] - 1 == 1, lines   # the next ordinary commit: one, and it carries them
    assert Journal(path).counters.last_tsc() == 5
