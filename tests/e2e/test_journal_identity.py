"""The journal's identity through real `posterm` processes, real files and the host simulator: a journal that
is missing, empty, another terminal's, or behind its high-water marks is refused in one line with exit 2 and
nothing sent; `posterm journal new` is the one way to start again, above the old STAN and batch."""
from __future__ import annotations

import json
import shutil

from terminal.hostsim.rules import Rule
from terminal.iso8583 import decode
from tests.fixtures.host import MAC_KEY, terminal_config

SWIPE = ("--reader", "emulated-swipe:magstripe")


def _cfg(tmp_path, host_sim, terminal="TERM0001"):
    return terminal_config(tmp_path, host_sim, terminal=terminal, name=f"{terminal}.toml")


def _refused(r, words):
    assert r.code == 2 and r.err.count("\n") == 1 and words in r.err, (r.code, r.err)


def test_a_journal_truncated_to_zero_keeps_its_pending_reversal_from_being_forgotten(host_sim, posterm, tmp_path):
    cfg = _cfg(tmp_path, host_sim)
    host_sim.rules += [Rule(mti="0200", silent=True, times=1), Rule(mti="0400", drop=True, times=3)]
    first = posterm("sale", "50.00", *SWIPE, "--config", cfg, "--json")
    assert first.code == 3 and first.json["outcome"] == "reversal_pending"
    sent = len(host_sim.received)
    (posterm.data_dir / "journal.sqlite3").write_bytes(b"")  # what a hostile environment (or a bad flash) does
    _refused(posterm("txn", "list"), "is empty (0 bytes)")
    _refused(posterm("sale", "1.00", *SWIPE, "--config", cfg), "is empty (0 bytes)")
    assert len(host_sim.received) == sent  # nothing sent: no STAN 000001 again
    (posterm.data_dir / "journal.sqlite3").unlink()
    _refused(posterm("status"), "is missing, but the identity file journal.identity says terminal TERM0001's")
    assert not (posterm.data_dir / "journal.sqlite3").exists()  # not silently started afresh


def test_another_terminals_journal_and_an_older_copy_are_refused(host_sim, posterm, tmp_path):
    cfg = _cfg(tmp_path, host_sim)
    data = posterm.data_dir
    assert posterm("sale", "1.00", *SWIPE, "--config", cfg).code == 0
    shutil.copy(data / "journal.sqlite3", tmp_path / "old.sqlite3")
    assert posterm("sale", "2.00", *SWIPE, "--config", cfg).code == 0
    _refused(posterm("sale", "3.00", *SWIPE, "--config", _cfg(tmp_path, host_sim, "TERM0002")),
             "is terminal TERM0001's, but this terminal is configured as TERM0002")
    shutil.copy(tmp_path / "old.sqlite3", data / "journal.sqlite3")  # rolled back to an older copy
    _refused(posterm("sale", "3.00", *SWIPE, "--config", cfg), "behind its high-water marks (last transaction 1 < 2)")
    other = tmp_path / "other"
    assert posterm("sale", "4.00", *SWIPE, "--config", cfg, data=other).code == 0
    shutil.copy(other / "journal.sqlite3", data / "journal.sqlite3")  # a journal of another creation
    _refused(posterm("txn", "list"), "is another journal (creation ")
    assert len(host_sim.received) == 3


def test_journal_new_keeps_the_old_file_and_continues_above_its_stan_and_batch(host_sim, posterm, tmp_path):
    cfg = _cfg(tmp_path, host_sim)
    data = posterm.data_dir
    for amount in ("1.00", "2.00", "3.00"):
        assert posterm("sale", amount, *SWIPE, "--config", cfg).code == 0
    host_sim.rules += [Rule(mti="0200", silent=True, times=1), Rule(mti="0400", drop=True, times=3)]
    assert posterm("sale", "4.00", *SWIPE, "--config", cfg).code == 3  # a reversal still owed to the host
    refused = posterm("journal", "new", "--config", cfg)
    assert refused.code == 2 and "1 reversal(s) still waiting for the host" in refused.err
    (data / "journal.sqlite3").write_bytes(b"")  # the file is lost: starting anew is now the operator's choice
    new = posterm("journal", "new", "--config", cfg, "--force")
    assert new.code == 0, new.err
    assert "next STAN 000006, batch 000002" in new.out
    kept = sorted(p.name.split(".2")[0] for p in data.glob("*.old"))
    assert "journal.sqlite3" in kept and "journal.identity" in kept
    r = posterm("sale", "5.00", *SWIPE, "--config", cfg, "--json")
    assert r.code == 0 and r.json["stan"] == 6
    req = decode(host_sim.received[-1], MAC_KEY)
    assert req.fields[11] == "000006"
    check = posterm("journal", "check")
    assert check.code == 0 and "ok: SQLite integrity check: ok" in check.out, check.out
    assert "ok: identity: terminal TERM0001" in check.out and "batch 000002" in check.out


def test_journal_check_and_export(host_sim, posterm, tmp_path):
    cfg = _cfg(tmp_path, host_sim)
    host_sim.rules.append(Rule(mti="0200", silent=True, times=1))
    assert posterm("sale", "7.00", *SWIPE, "--config", cfg).code == 3  # reversed
    assert posterm("sale", "8.00", *SWIPE, "--config", cfg).code == 0
    check = posterm("journal", "check", "--json")
    assert check.code == 0 and check.json["problems"] == []
    lines = posterm("journal", "export").out.splitlines()
    rows = [json.loads(line) for line in lines]
    assert [(r["id"], r["state"], r["amount"]) for r in rows] == [(1, "reversed", 700), (2, "approved", 800)]
    assert [h["state"] for h in rows[0]["history"]] == ["sending", "reversal_pending", "reversed"]
    assert rows[0]["saf"][0]["kind"] == "reversal" and rows[0]["saf"][0]["state"] == "delivered"
    assert "4761739001010010" not in "\n".join(lines) and rows[1]["masked_pan"] == "476173******0010"
    # a broken lifecycle is found: a reversed row with an approval after it
    import sqlite3
    conn = sqlite3.connect(posterm.data_dir / "journal.sqlite3")
    conn.execute("INSERT INTO txn_event(txn_id, at, state, reason) VALUES(1, 'x', 'approved', 'forged')")
    conn.execute("UPDATE txn SET state='approved' WHERE id=1")
    conn.commit()
    conn.close()
    bad = posterm("journal", "check")
    assert bad.code == 3 and "PROBLEM: transaction 1: reversed -> approved is not a transition" in bad.out
