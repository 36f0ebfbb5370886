"""A swiped sale from write-ahead to its end, read back from the journal, the wire and the result: the row
written ahead names what the 0200 says (field 7, entry mode, the card's hash, the confirmed rule); a cancel
confirmed while the host works reverses the approval (17) and says so; the link refusing the connect leaves
the row 'not sent'; a void names its original's RRN and marks it voided; a pending reversal with no STAN to
name still holds every new sale back."""
from __future__ import annotations

import datetime as dt

from terminal.config import Config
from terminal.risk.rules import Facts
from terminal.store.states import SafKind, TxnState
from terminal.txn import core as c
from terminal.txn.cards import SwipeReader
from terminal.txn.clock import ManualClock
from terminal.txn.engine import Engine
from terminal.txn.records import CardInput
from tests.mutation.core_world import VISA_PAN, keypad, recent_ids, swipe, wire

CANCEL_LINE = "CANCELLED: sale reversed, customer not charged"
TRACK2 = "4761739001010010=301210100000000"


def test_the_row_written_ahead_says_what_the_0200_says(terminal):
    sent = wire(terminal)
    first = terminal.driver.sale("purchase", 1234, swipe())
    terminal.clock.advance(2)
    second = terminal.driver.sale("purchase", 1234, swipe(), operator=keypad(terminal, 1234, [(0.5, "ENTER")]))
    row = terminal.journal.txn(second.id)
    m = sent[-1]
    assert (second.outcome, m.mti, m.fields[7], m.fields[11], m.fields[22], m.fields[4]) == (
        "approved", "0200", row.transmitted, f"{row.stan:06d}", "901", "000000001234")
    assert (row.kind, row.proc_code, row.amount, row.entry_mode, row.masked_pan, row.psn, row.tsc) == (
        "purchase", "000000", 1234, "901", "476173******0010", None, None)
    assert (row.local_time.strftime("%H%M%S"), row.local_time.strftime("%m%d")) == (m.fields[12], m.fields[13])
    assert m.fields[35] == TRACK2 and 2 not in m.fields
    assert (m.fields[41], m.fields[42], m.fields[49]) == ("TERM0001", "MERCHANT0000001", "156")   # [terminal]
    assert terminal.journal.events(row.id)[0][1:] == (TxnState.SENDING, "request about to be sent")
    [alert] = terminal.journal.alerts.all()
    assert (alert.rule, alert.decision, alert.txn_id) == ("duplicate_charge", "confirmed by the operator", row.id)
    assert recent_ids(terminal, VISA_PAN) == [first.id, second.id]


def test_a_cancel_confirmed_while_the_host_works_reverses_the_swiped_approval_with_17(terminal):
    sent = wire(terminal)
    result = terminal.driver.sale("purchase", 3000, swipe(),
                                  operator=keypad(terminal, 3000, [(0.01, "CANCEL"), (0.02, "ENTER")]))
    row = terminal.journal.txn(result.id)
    assert (result.outcome, result.exit_code, result.message) == ("reversed", 3, CANCEL_LINE)
    assert (row.state, row.message, row.response_code) == (TxnState.REVERSED, CANCEL_LINE, "00")
    assert [e[1:] for e in terminal.journal.events(row.id)][1:3] == [
        (TxnState.APPROVED, "host approved"),
        (TxnState.REVERSAL_PENDING, "operator cancelled after the request was sent")]
    assert [(m.mti, m.fields.get(39)) for m in sent] == [("0200", None), ("0400", "17")]


def test_a_cancel_while_the_host_declines_reverses_nothing(terminal):
    sent = wire(terminal)
    result = terminal.driver.sale("purchase", 1300, swipe(),     # the simulated issuer declines it
                                  operator=keypad(terminal, 1300, [(0.01, "CANCEL"), (0.02, "ENTER")]))
    row = terminal.journal.txn(result.id)
    assert (result.outcome, row.state, row.response_code) == ("declined", TxnState.DECLINED, "51")
    assert result.message == row.message and result.message != CANCEL_LINE
    assert [m.mti for m in sent] == ["0200"] and terminal.journal.saf_all() == []


def test_a_timeout_is_reversed_68_and_the_row_says_why(terminal):
    terminal.net.faults.response_lost = 1.0
    sent = wire(terminal)
    result = terminal.driver.sale("purchase", 1234, swipe())
    row = terminal.journal.txn(result.id)
    assert (result.outcome, row.state) == ("reversal_pending", TxnState.REVERSAL_PENDING)
    assert result.message == row.message == "NO RESPONSE: reversing, customer not charged"
    timeout = terminal.driver.cfg.host.timeout_s
    assert terminal.journal.events(row.id)[1][1:] == (TxnState.REVERSAL_PENDING,
                                                      f"sim: no response within {timeout:g} s: outcome unknown")
    [entry] = terminal.journal.saf_pending()
    assert (entry.kind, entry.reason_code, entry.txn_id) == (SafKind.REVERSAL, "68", row.id)
    assert [m.mti for m in sent] == ["0200", "0400"]   # the reversal tried at once, its answer lost too


def test_a_connect_refused_after_write_ahead_leaves_the_row_not_sent(terminal):
    terminal.net.faults.connect_refused = 1.0
    sent = wire(terminal)
    result = terminal.driver.sale("purchase", 1234, swipe())
    row = terminal.journal.txn(result.id)
    line = "HOST UNREACHABLE: card not charged, try again"
    assert (result.outcome, result.exit_code, result.message) == ("not_sent", 3, line)
    assert (row.state, row.message) == (TxnState.NOT_SENT, line)
    assert terminal.journal.events(row.id)[-1][1:] == (TxnState.NOT_SENT, "sim: connection refused: nothing sent")
    assert sent == [] and terminal.journal.saf_all() == []


def test_a_void_names_its_originals_rrn_and_marks_it_voided(terminal):
    sent = wire(terminal)
    sale = terminal.driver.sale("purchase", 500, swipe())
    original = terminal.journal.txn(sale.id)
    void = Engine.of(terminal.driver).sale("void", 500, CardInput("901", original.masked_pan, track2=TRACK2),
                                           original=original)
    row = terminal.journal.txn(void.id)
    m = sent[-1]
    assert (void.outcome, m.fields[3], m.fields[37]) == ("approved", "020000", original.rrn)
    assert (row.kind, row.proc_code, row.original_id, row.state) == ("void", "020000", original.id,
                                                                     TxnState.APPROVED)
    assert terminal.journal.txn(sale.id).state is TxnState.VOIDED
    assert terminal.journal.alerts.all() == []


def test_a_declined_void_leaves_its_original_in_the_batch(terminal):
    sale = terminal.driver.sale("purchase", 500, swipe())
    original = terminal.journal.txn(sale.id)
    terminal.host.force["0200"] = "05"
    void = Engine.of(terminal.driver).sale("void", 500, CardInput("901", original.masked_pan, track2=TRACK2),
                                           original=original)
    assert void.outcome == "declined"
    assert terminal.journal.txn(sale.id).state is TxnState.APPROVED


def test_a_pending_reversal_without_a_stan_to_name_still_holds_the_sale_back(tmp_path):
    """The drain may know reversals are pending without naming one (Cleared.blocking_stan None)."""
    clock = ManualClock(dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc), utc_offset_h=8.0)
    core = c.SaleCore(Config(), "purchase", 1234)
    core.start(clock.now())
    core.handle(c.CardKnown(CardInput("901", "476173******0010", track2=TRACK2)), clock.now())
    core.handle(c.RiskLooked(Facts()), clock.now())
    core.handle(c.OperatorSettled(False), clock.now())
    record, finish = core.handle(c.Cleared(2, None, "sim: connection refused"), clock.now())
    line = "NOT SENT: reversal still waiting for the host"
    assert finish == c.Finish(line) and core.phase is c.Phase.DONE
    assert (record.state, record.message, record.entry_mode, record.masked_pan, record.amount) == (
        TxnState.NOT_SENT, line, "901", "476173******0010", 1234)
    assert record.reason == "an earlier reversal is still pending (sim: connection refused): nothing sent"


def test_an_unknown_kind_of_transaction_is_refused_naming_the_kinds_there_are(terminal):
    sent = wire(terminal)
    try:
        terminal.driver.sale("preauth", 1234, swipe())
    except ValueError as e:
        assert str(e) == "transaction kind 'preauth': expected one of purchase, refund, void"
    else:
        raise AssertionError("a preauth was taken for a kind of sale")
    assert terminal.journal.txns() == [] and sent == []


def test_a_cancel_confirmed_at_the_checkpoint_sends_nothing_and_writes_nothing(terminal):
    """CANCEL then ENTER typed while the card is swiped (a second): seen at the checkpoint before sending."""
    sent = wire(terminal)
    tracks = swipe()._read()

    def slow_swipe():
        terminal.clock.advance(1)
        return tracks
    result = terminal.driver.sale("purchase", 1234, SwipeReader(slow_swipe),
                                  operator=keypad(terminal, 1234, [(0.5, "CANCEL"), (0.6, "ENTER")]))
    assert (result.id, result.outcome, result.exit_code, result.message) == (None, "cancelled", 3,
                                                                             "CANCELLED: nothing sent")
    assert terminal.journal.txns() == [] and sent == []


def test_card_data_given_as_pan_and_expiry_goes_in_fields_2_and_14(terminal):
    """Card data in hand without track 2 (a chip's data kept for a benchmark, a key-entered card): the 0200
    carries PAN and expiry instead."""
    sent = wire(terminal)
    card = CardInput("012", "476173******0010", pan=VISA_PAN, expiry="3012")
    result = Engine.of(terminal.driver).sale("purchase", 1234, card)
    [m] = sent
    assert (result.outcome, m.fields[2], m.fields[14], m.fields[22]) == ("approved", VISA_PAN, "3012", "012")
    assert 35 not in m.fields
