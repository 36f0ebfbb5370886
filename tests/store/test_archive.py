"""Settled batches older than [journal] keep_days leave the live journal for the append-only archive: the live
file shrinks, nothing owed to the host moves, and txn show / journal export still find what moved."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3

from terminal.store import Journal
from terminal.store.archive import path_of
from terminal.store.upkeep import export

LATER = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=100)


def _settle(j: Journal) -> None:
    batch = j.current_batch()
    sid, _ = j.begin_settlement(batch, *j.batch_totals(batch))
    j.end_settlement(sid, "closed", "00", "batch closed")


def test_old_settled_batches_move_to_the_archive_and_are_still_found(journal_path, new_sale):
    j = Journal(journal_path)
    a = j.begin_txn(new_sale(amount=100))
    j.set_state(a.id, "approved", "approved by the host", response_code="00", rrn="000000000001")
    b = j.begin_txn(new_sale(amount=200))
    j.queue(b.id, "reversal", "68", "reversal_pending", "no response")  # still owed to the host: stays
    _settle(j)
    c = j.begin_txn(new_sale(amount=300))  # in the open batch: stays
    j.set_state(c.id, "approved", "approved by the host", response_code="00", rrn="000000000003")
    assert j.archive_settled(90) == 0  # settled today: younger than keep_days
    assert j.archive_settled(90, now=LATER) == 1
    live = [r[0] for r in j.db.read("SELECT id FROM txn ORDER BY id")]
    assert live == [b.id, c.id]
    assert j.db.read("SELECT COUNT(*) FROM txn_event WHERE txn_id=?", (a.id,))[0][0] == 0
    moved = j.txn(a.id)  # txn show still finds it, with its history
    assert moved.state == "approved" and moved.amount == 100
    assert [s for _, s, _ in j.events(a.id)] == ["sending", "approved"]
    assert j.archive_settled(90, now=LATER) == 0  # nothing twice
    j.close()
    rows = [json.loads(line) for line in export(journal_path)]
    assert [(r["id"], r["archived"]) for r in rows] == [(a.id, True), (b.id, False), (c.id, False)]
    arch = sqlite3.connect(path_of(journal_path))
    cols = {r[1] for t in ("txn", "saf") for r in arch.execute(f"PRAGMA table_info({t})")}
    assert "sealed" not in cols and "pan" not in cols  # never more card data than the journal keeps
    j = Journal(journal_path)  # the identity still accepts the shrunk journal
    _settle(j)
    assert j.archive_settled(90, now=LATER + dt.timedelta(days=1)) == 0  # b still owes; c is the newest: both stay
    assert j.begin_txn(new_sale()).id == c.id + 1  # ids keep counting up: a moved id is never handed out again
    j.close()


def test_a_chip_sales_slip_lines_move_with_it_and_its_reprint_is_the_same(journal_path, new_sale):
    """txn_chip refers to its transaction: archiving moves the chip's slip lines too (a foreign key would
    otherwise refuse the delete), and the slip of the archived sale is the slip it had."""
    from terminal.config import Config
    from terminal.receipt.render import render
    from terminal.receipt.slip import slip_of
    from terminal.store.chip_record import ChipRecord
    j = Journal(journal_path)
    a = j.begin_txn(new_sale(amount=100))
    j.set_state(a.id, "approved", "approved by the host", response_code="00", auth_code="123456", rrn="000000000001")
    j.keep_chip(a.id, ChipRecord(False, "A0000000031010", "VISA CREDIT", "40", "0123456789ABCDEF", "0000008000",
                                 "E800", "offline_pin", "410302"))
    before = render(slip_of(j, Config(), a.id))
    _settle(j)
    j.begin_txn(new_sale(amount=300))  # the newest row always stays
    assert j.archive_settled(90, now=LATER) == 1
    assert j.db.read("SELECT COUNT(*) FROM txn_chip")[0][0] == 0
    assert render(slip_of(j, Config(), a.id)) == before and "TC              0123456789ABCDEF" in before
    j.close()
