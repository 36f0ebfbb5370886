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


def test_each_ending_names_its_cause_exactly(terminal, english):
    j = terminal.journal
    declined = terminal.driver.sale("purchase", 1300, swipe())
    assert explain(j.txn(declined.id), j) == "declined by the host: 51 insufficient funds"
    terminal.net.faults.response_lost = 1.0
    lost = terminal.driver.sale("purchase", 1234, swipe())
    terminal.net.faults.response_lost = 0.0
    terminal.driver.drain(force=True)
    [(_at, state, why)] = [e for e in j.events(lost.id) if e[1] is TxnState.REVERSAL_PENDING]
    assert why == "sim: no response within 30 s: outcome unknown"
    assert explain(j.txn(lost.id), j) == f"reversed, customer not charged ({why})"
    sale = terminal.driver.sale("purchase", 500, swipe())
    Engine.of(terminal.driver).sale("void", 500, CardInput("901", "476173******0010"), original=j.txn(sale.id))
    voided_by = [reason for _at, st, reason in j.events(sale.id) if st is TxnState.VOIDED][0]
    assert explain(j.txn(sale.id), j) == f"voided ({voided_by}): removed from the batch, customer not charged"
    row = j.begin(kind="purchase", proc_code="000000", amount=10, currency="156", local_time=terminal.clock.now().local,
                  transmitted="", entry_mode="901", masked_pan="476173******0010", state=TxnState.NOT_SENT,
                  reason="host unreachable", message="")
    assert explain(j.txn(row.id), j) == "not sent, customer not charged (host unreachable)"
    row = j.begin(kind="purchase", proc_code="000000", amount=10, currency="156", local_time=terminal.clock.now().local,
                  transmitted="", entry_mode="901", masked_pan="476173******0010", state=TxnState.NOT_SENT,
                  reason="blocked", message="NOT SENT: reversal of STAN 000009 still waiting for the host")
    assert explain(j.txn(row.id), j) == ("not sent, customer not charged (NOT SENT: reversal of STAN 000009 still "
                                         "waiting for the host)")


def test_an_advice_delivered_and_one_given_up(terminal, english):
    j = terminal.journal
    chip = CardInput("051", "476173******0010", pan="4761739001010010", expiry="3112", psn="01",
                     icc=bytes.fromhex("9F2608A1B2C3D4E5F607189F270140"))
    delivered = Engine.of(terminal.driver).approve_offline("purchase", 100, chip, "Y1")
    terminal.driver.drain(force=True)
    assert j.txn(delivered.id).state is TxnState.OFFLINE_APPROVED
    assert explain(j.txn(delivered.id), j) == "approved offline by the chip; the host is told by an advice"
    given_up = Engine.of(terminal.driver).approve_offline("purchase", 100, chip, "Y1")
    [entry] = j.saf_pending()
    j.saf_done(entry, TxnState.NEEDS_ATTENTION, "advice undelivered after 72 h", state="needs_attention")
    assert explain(j.txn(given_up.id), j) == ("NEEDS ATTENTION: the host could not be told; call the acquirer "
                                              "with this STAN")


def test_recovery_says_what_it_did_to_the_row(terminal, english):
    j = terminal.journal
    row = j.begin(kind="purchase", proc_code="000000", amount=10, currency="156", local_time=terminal.clock.now().local,
                  transmitted="1201093000", entry_mode="901", masked_pan="476173******0010", psn=None,
                  original_id=None, tsc=None)
    assert terminal.driver.recover() == [row.id]
    after = j.txn(row.id)
    assert (after.state, after.message) == (TxnState.REVERSAL_PENDING, "NO RESPONSE: reversing, customer not charged")
    assert j.events(row.id)[-1][2] == "terminal restarted before the outcome was recorded: outcome unknown"
    [entry] = j.saf_pending()
    assert (entry.kind, entry.reason_code, entry.txn_id) == ("reversal", "68", row.id)
    assert terminal.driver.recover() == []      # nothing left sending: a second start queues nothing more
