"""Slips (签购单) as the merchant and the customer read them: exact text, compared with the snapshot files in
tests/receipt/snapshots/ (one per slip and language). The transactions are real rows of a real journal file,
written as the driver writes them, so these are also the slips a reprint of those rows gives.

To see a change on purpose: POSTERM_UPDATE_SNAPSHOTS=1 pytest tests/receipt, then review the diff of the files.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from terminal.receipt.layout import width
from terminal.receipt.render import render
from terminal.receipt.slip import NoSlip, slip_of
from terminal.store import TxnState
from tests.receipt.conftest import CHIP, TAP, WHEN, approved

SNAPSHOTS = Path(__file__).with_name("snapshots")
LANGS = ("en", "zh-CN")


def _matches(name: str, lines: list[str]) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    text = "\n".join(lines) + "\n"
    if os.environ.get("POSTERM_UPDATE_SNAPSHOTS"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"slip differs from {path}"


def _slips(journal, cfg):
    """Each case: (name, txn id, copy, reprint, width)."""
    sale = approved(journal)                                               # swiped: signature
    refund = approved(journal, kind="refund", amount=500, rrn="612345678902", auth="D4E5F6")
    voided = approved(journal, amount=880, rrn="612345678903", auth="778899")
    void = approved(journal, kind="void", amount=880, original_id=voided, rrn="612345678904", auth="778899")
    chip = approved(journal, entry="051", chip=CHIP, rrn="612345678905", auth="123456")
    tap = approved(journal, amount=3000, pan="476173******0010", entry="071", chip=TAP, rrn="612345678906",
                   auth="654321")
    return [("sale", sale, "merchant", False, 32), ("refund", refund, "merchant", False, 32),
            ("void", void, "merchant", False, 32), ("chip", chip, "merchant", False, 32),
            ("chip-80mm", chip, "merchant", False, 48), ("tap", tap, "customer", False, 32),
            ("reprint", chip, "customer", True, 32)]


@pytest.mark.parametrize("language", LANGS)
def test_each_slip_is_its_snapshot(journal, cfg, lang, language):
    lang(language)
    for name, txn_id, copy, reprint, columns in _slips(journal, cfg):
        lines = render(slip_of(journal, cfg, txn_id, copy=copy, reprint=reprint), columns)
        assert all(width(line) <= columns for line in lines), name   # a wide character counts as 2
        _matches(f"{name}.{language}", lines)


def test_a_reprint_is_the_slip_with_the_reprint_mark_and_nothing_else(journal, cfg, lang):
    lang("zh-CN")
    txn = approved(journal, entry="051", chip=CHIP)
    first = render(slip_of(journal, cfg, txn))
    again = render(slip_of(journal, cfg, txn, reprint=True))
    assert [line for line in again if line.strip() != "重打印"] == first
    assert sum(line.strip() == "重打印" for line in again) == 1


def test_the_slip_comes_from_the_journal_file_alone(journal, cfg, tmp_path):
    """Reopened from disk (another process, a week later): the same slip, chip lines included."""
    from terminal.store import Journal
    txn = approved(journal, entry="051", chip=CHIP)
    first = render(slip_of(journal, cfg, txn))
    journal.close()
    reopened = Journal(tmp_path / "journal.sqlite3")
    try:
        assert render(slip_of(reopened, cfg, txn)) == first
        assert "TC              8E2F4A1B7C3D9E05" in first and "PIN VERIFIED" in first
    finally:
        reopened.close()


def test_no_slip_for_money_that_did_not_move(journal, cfg):
    row = journal.begin(kind="purchase", proc_code="000000", amount=100, currency="156", local_time=WHEN,
                        transmitted="1201013015", entry_mode="901", masked_pan="625094******0014")
    journal.set_state(row.id, TxnState.DECLINED, "declined by the host (51)", response_code="51",
                      message="DECLINED: insufficient funds")
    with pytest.raises(NoSlip, match=rf"transaction {row.id} is declined: no slip"):
        slip_of(journal, cfg, row.id)


def test_the_voided_sale_keeps_its_own_slip_and_the_void_names_it(journal, cfg):
    sale = approved(journal, amount=880)
    void = approved(journal, kind="void", amount=880, original_id=sale)
    assert slip_of(journal, cfg, sale).kind == "purchase"            # voided now, its slip still prints
    assert slip_of(journal, cfg, void).original_voucher == journal.txn(sale).stan


def test_every_slip_label_has_one_chinese_entry():
    """Each `_("...")` of the slip's renderer and output is translated, once: a second entry with the same msgid
    (another screen's 'AMOUNT') would silently give the slip the other screen's word."""
    import re
    from terminal.i18n.text import PO_DIR
    root = Path(__file__).resolve().parents[2] / "terminal" / "receipt"
    used = {m for f in ("render.py", "output.py") for m in re.findall(r'_\("([^"]+)"\)', (root / f).read_text())}
    po = (PO_DIR / "zh_CN.po").read_text(encoding="utf-8")
    ids = re.findall(r'^msgid "(.*)"$', po, flags=re.M)
    assert sorted(m for m in used if ids.count(m) != 1) == []
