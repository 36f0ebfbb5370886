"""The risk rules as a sale meets them, read back from the journal, the alerts and the wire: every card is
looked up whichever way it was read (a swipe too), the duplicate window counts from the moment the card was
read, a refusal names who refused, and a sale stopped by an earlier pending reversal keeps its chip data,
its card hash and what the operator confirmed."""
from __future__ import annotations

from terminal.store.states import TxnState
from terminal.txn.cards import SwipeReader
from tests.mutation.core_world import VISA_PAN, Chip, configure, keypad, recent_ids, swipe, wire

LISTED = "card on the terminal exception file (PAN prefix 476173): declined at the terminal, nothing sent"


def test_a_swiped_card_on_the_exception_file_is_declined_at_the_terminal(terminal):
    configure(terminal, risk={"exception_prefixes": ("476173",)})
    sent = wire(terminal)
    result = terminal.driver.sale("purchase", 1234, swipe())
    row = terminal.journal.txn(result.id)
    assert (result.outcome, result.message, row.state, row.entry_mode, row.psn, row.tsc) == (
        "declined", "DECLINED: card on exception file", TxnState.DECLINED, "901", None, None)
    assert terminal.journal.events(row.id)[-1][2] == f"risk exception_file: {LISTED} (declined); nothing sent"
    assert sent == []


def test_the_duplicate_window_counts_from_when_the_card_was_read(terminal):
    """The first sale is 598 s old when the second starts, and 603 s old when its card is read: outside the
    600 s window, so no question (nobody at the keypad would answer it: the sale would be refused)."""
    first = terminal.driver.sale("purchase", 1234, swipe())
    terminal.clock.advance(598)
    tracks = swipe()._read()

    def slow_swipe():
        terminal.clock.advance(5)
        return tracks
    second = terminal.driver.sale("purchase", 1234, SwipeReader(slow_swipe))
    assert (first.outcome, second.outcome) == ("approved", "approved")
    assert terminal.journal.alerts.all() == []
    assert [mti for mti, _ in terminal.host.received] == ["0200", "0200"]


def test_a_rule_the_supervisor_must_override_is_refused_by_the_supervisor_when_nobody_types_the_pin(terminal):
    configure(terminal, risk={"amount_alert": 1000})
    sent = wire(terminal)
    result = terminal.driver.sale("purchase", 1234, swipe())
    row = terminal.journal.txn(result.id)
    assert (result.outcome, row.state) == ("declined", TxnState.DECLINED)
    [alert] = terminal.journal.alerts.all()
    assert (alert.rule, alert.decision, alert.txn_id) == ("amount_alert", "refused by the supervisor", row.id)
    assert terminal.journal.events(row.id)[-1][2] == f"risk amount_alert: {alert.text} (refused by the supervisor)" \
                                                    "; nothing sent"
    assert sent == []


def test_a_chip_sale_held_back_by_a_pending_reversal_keeps_its_chip_data_hash_and_confirmed_rule(terminal):
    card = Chip("visa", terminal.driver.cfg)
    approved = terminal.driver.sale("purchase", 2000, card.reader, pinpad=card.pinpad)
    terminal.net.faults.response_lost = 1.0
    doubt = terminal.driver.sale("purchase", 1234, swipe())
    assert (approved.outcome, doubt.outcome) == ("approved", "reversal_pending")
    terminal.net.faults.response_lost = 0.0
    terminal.net.down = True
    sent = wire(terminal)
    counter = terminal.journal.next_tsc()
    card = Chip("visa", terminal.driver.cfg)
    held = terminal.driver.sale("purchase", 2000, card.reader, pinpad=card.pinpad,
                                operator=keypad(terminal, 2000, [(0.5, "ENTER")]))   # yes: charge it again
    assert (held.outcome, held.exit_code) == ("not_sent", 3)
    assert held.message == f"NOT SENT: reversal of STAN {doubt.stan:06d} still waiting for the host"
    row = terminal.journal.txn(held.id)
    assert (row.state, row.entry_mode, row.masked_pan, row.psn, row.tsc, row.message) == (
        TxnState.NOT_SENT, "051", "476173******0010", "001", counter + 1, held.message)
    reason = terminal.journal.events(row.id)[-1][2]
    assert reason.startswith(f"an earlier reversal of STAN {doubt.stan:06d} is still pending (")
    assert reason.endswith("): nothing sent; declined by the chip (Z3)")
    [alert] = terminal.journal.alerts.all()
    assert (alert.rule, alert.decision, alert.txn_id) == ("duplicate_charge", "confirmed by the operator", row.id)
    assert recent_ids(terminal, VISA_PAN) == [approved.id, doubt.id, row.id]
    assert sent == []
