"""`posterm txn show`'s one line for every state a transaction can be in, and the reasons in another language."""
from __future__ import annotations

import re

import pytest

from terminal.i18n.text import language, set_language
from terminal.store.states import TxnState
from terminal.txn.explain import explain, local_minute
from terminal.txn.settle import settle
from terminal.txn.engine import Engine
from terminal.txn.records import CardInput
from tests.mutation.test_sale_records import swipe

MINUTE = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"


@pytest.fixture
def english():
    previous = language()
    set_language("en")
    yield
    set_language(previous)


def test_settled_sales_name_their_batch_and_when_it_closed(terminal, english):
    sale = terminal.driver.sale("purchase", 500, swipe())
    refund = terminal.driver.sale("refund", 200, swipe())
    original = terminal.journal.txn(sale.id)
    other = terminal.driver.sale("purchase", 700, swipe())
    void = Engine.of(terminal.driver).sale("void", 700, CardInput("901", original.masked_pan),
                                           original=terminal.journal.txn(other.id))
    assert settle(Engine.of(terminal.driver)).outcome == "closed"
    j = terminal.journal
    assert re.fullmatch(f"approved and settled in batch 000001 on {MINUTE}", explain(j.txn(sale.id), j))
    assert re.fullmatch(f"refund approved and settled in batch 000001 on {MINUTE}", explain(j.txn(refund.id), j))
    assert re.fullmatch(f"void approved and settled in batch 000001 on {MINUTE}", explain(j.txn(void.id), j))
    # a batch closed before settlements were journaled: the batch is known, not when
    j.db.conn.execute("DELETE FROM settlement")
    assert explain(j.txn(sale.id), j) == "approved and settled in batch 000001"
    assert explain(j.txn(refund.id), j) == "refund approved and settled in batch 000001"
    assert explain(j.txn(void.id), j) == "void approved and settled in batch 000001"


def test_a_cancel_after_sending_is_a_plain_reversal_pending(terminal, english):
    terminal.net.faults.response_lost = 1.0
    lost = terminal.driver.sale("purchase", 1234, swipe())
    row = terminal.journal.txn(lost.id)
    j = terminal.journal
    # an approved sale the operator cancels: reversal reason 17, not in doubt; its delivery not yet tried
    approved = j.begin(kind="purchase", proc_code="000000", amount=10, currency="156",
                       local_time=terminal.clock.now().local, transmitted="1201093000", entry_mode="901",
                       masked_pan="476173******0010", psn=None, original_id=None, tsc=None)
    j.set_state(approved.id, TxnState.APPROVED, "approved", response_code="00", auth_code="000001", rrn="000000000001",
                message="APPROVED")
    j.queue(approved.id, "reversal", "17", TxnState.REVERSAL_PENDING, "operator cancelled after the request was sent",
            message="CANCELLED")
    line = explain(j.txn(approved.id), j)
    assert re.fullmatch(f"reversal pending since {MINUTE}, 0 attempt\\(s\\): the customer is not charged once "
                        "the host has it", line), line
    assert explain(row, j).startswith("in doubt, reversal pending since ")


def test_every_other_state_has_its_line(terminal, english):
    j = terminal.journal
    terminal.net.down = True
    not_sent = terminal.driver.sale("purchase", 1234, swipe())
    assert explain(j.txn(not_sent.id), j).startswith("not sent, customer not charged (")
    terminal.net.down = False
    row = j.begin(kind="purchase", proc_code="000000", amount=10, currency="156", local_time=terminal.clock.now().local,
                  transmitted="1201093000", entry_mode="901", masked_pan="476173******0010", psn=None,
                  original_id=None, tsc=None)
    assert explain(j.txn(row.id), j) == "in doubt: sent, outcome unknown; reversed when the terminal restarts"
    j.set_state(row.id, TxnState.DECLINED, "declined")
    assert explain(j.txn(row.id), j) == "declined"


def test_reasons_in_another_language_say_what_kind_they_are(english):
    from terminal.txn.explain import _why
    set_language("zh_CN")
    try:
        assert _why("terminal restarted before the outcome was recorded: outcome unknown") == "超时无应答，结果未知"
        assert _why("operator cancelled after the request was sent") == "发送后操作员取消"
        assert _why("chip: card removed") == "主机批准后卡片拒绝"
        assert _why("something else") == "something else"
    finally:
        set_language("en")
    assert _why("chip: card removed") == "chip: card removed"


def test_local_minute_reads_journal_timestamps_and_keeps_what_it_cannot_read(monkeypatch, english):
    import time
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert local_minute("2026-12-01T09:30:59.000+00:00") == "2026-12-01 17:30"
        assert local_minute("2026-12-01T09:30:59") == "2026-12-01 17:30"      # naive: the journal's UTC
        assert local_minute("not a time") == "not a time"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
