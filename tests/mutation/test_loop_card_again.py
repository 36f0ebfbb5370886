"""The driver loop's second tap (Book C-3 issuer update, terminal/txn/loop.py _Run.card_again), in process: the
emulated qVSDC card that takes issuer update (CTQ byte 2 b7), the simulation's host answering with its 91, the
real ChipReader presenting the same virtual card again. What the journal keeps, what the host gets, what the
display is told, and what a CANCEL typed before or during the wait does."""
from __future__ import annotations

import logging
from dataclasses import replace

from drivers.emulated.inprocess import InProcessChannel
from drivers.emulated.vcard import card_image
from drivers.emulated.vcard.engine import VirtualEmvCard
from drivers.errors import ReaderError
from terminal.iso8583 import decode
from terminal.txn import core as c
from terminal.txn.cards import ChipReader
from terminal.txn.emv_params import emv_config
from terminal.txn.loop import Driver
from terminal.txn.operator import NoOperator

DELIVERED = "issuer update delivered on the second tap: EXTERNAL AUTHENTICATE 9000"
NOT_DELIVERED = "issuer update not delivered: the card was not presented again ({why})"


class Cashier(NoOperator):
    """Nobody at the keypad, except one CANCEL typed at the moment the test says (`cancel_now`)."""

    def __init__(self, driver, *, at_second_tap: bool = False) -> None:
        self.driver, self.at_second_tap, self.cancel_now = driver, at_second_tap, False
        self.results: list[tuple[str, bool]] = []

    def poll(self) -> list[c.OperatorCancelled]:
        core = self.driver.last_core
        if self.at_second_tap and core is not None and core.phase is c.Phase.PRESENT_AGAIN:
            self.at_second_tap, self.cancel_now = False, True
        if self.cancel_now:
            self.cancel_now = False
            return [c.OperatorCancelled()]
        return []

    def show_result(self, message: str, approved: bool) -> None:
        self.results.append((message, approved))


class Customer:
    """Taps the card, takes it away while the host works; `comes_back`: taps it again when asked."""

    def __init__(self, comes_back: bool, cashier: Cashier | None = None) -> None:
        self.card = VirtualEmvCard(replace(card_image("contactless"), ctq=b"\x00\x40"))
        self.comes_back, self.cashier, self.taps = comes_back, cashier, 0

    def tap(self):
        self.taps += 1
        if self.taps > 1:
            if self.cashier is not None:
                self.cashier.cancel_now = True           # the CANCEL lands while the terminal waits for the card
            if not self.comes_back:
                raise ReaderError("no card within 30 s")
        return InProcessChannel(self.card, protocol="contactless")


def second_tap_sale(terminal, customer: Customer, cashier: Cashier | None = None):
    emv = emv_config(terminal.driver.cfg, True)
    terminal.driver = Driver(terminal.driver.cfg, terminal.journal, terminal.net, clock=terminal.clock,
                             emv=replace(emv, aids=tuple(replace(a, issuer_update=True) for a in emv.aids)))
    if cashier is not None:
        cashier.driver = terminal.driver
    shown: list[tuple] = []
    terminal.driver.progress = lambda *a: shown.append(a)
    seen: list = []
    terminal.host.on_request = seen.append
    result = terminal.driver.sale("purchase", 1234, ChipReader(customer.tap), operator=cashier)
    return result, shown, seen


def note_of(terminal, result) -> str:
    return terminal.journal.events(result.id)[-1][2]


CANCELLED = "CANCELLED: sale reversed, customer not charged"


def reversed_by_the_cancel(terminal, result, cashier, seen, note: str) -> None:
    notes = [why for _, _, why in terminal.journal.events(result.id)]
    assert notes[2:] == [note, "operator cancelled after the request was sent",
                         "reversal acknowledged (0400, code 00)"]
    assert [m.mti for m in seen] == ["0200", "0400"] and seen[1].fields[39] == "17"
    assert (result.outcome, result.message) == ("reversed", CANCELLED)
    assert cashier.results == [(CANCELLED, False)]


def test_the_card_presented_again_takes_the_issuer_update(terminal, caplog):
    customer = Customer(comes_back=True)
    with caplog.at_level(logging.INFO, logger="terminal.txn"):
        result, shown, seen = second_tap_sale(terminal, customer)
    assert (result.outcome, result.message) == ("approved", "APPROVED")
    assert note_of(terminal, result) == DELIVERED
    assert customer.taps == 2
    assert shown[-2:] == [("card_again", 0.0, 0.0), (None, 0.0, 0.0)]   # asked for the card, then the ask ends
    assert [m.mti for m in seen] == ["0200"]
    assert "contactless issuer update: PRESENT CARD AGAIN" in [r.getMessage() for r in caplog.records]


def test_a_card_not_presented_again_leaves_the_approval_and_says_why(terminal):
    customer = Customer(comes_back=False)
    result, shown, seen = second_tap_sale(terminal, customer)
    assert (result.outcome, result.message) == ("approved", "APPROVED")
    assert note_of(terminal, result) == NOT_DELIVERED.format(why="no card within the card timeout")
    assert shown[-2:] == [("card_again", 0.0, 0.0), (None, 0.0, 0.0)]
    assert [m.mti for m in seen] == ["0200"]


def test_a_cancel_typed_before_the_second_tap_reverses_without_waiting_for_the_card(terminal):
    customer = Customer(comes_back=True)
    cashier = Cashier(terminal.driver, at_second_tap=True)
    result, shown, seen = second_tap_sale(terminal, customer, cashier)
    assert customer.taps == 1                              # the card was never asked for again
    assert ("card_again", 0.0, 0.0) not in shown
    reversed_by_the_cancel(terminal, result, cashier, seen, NOT_DELIVERED.format(why="cancelled by the operator"))


def test_a_cancel_typed_while_the_card_comes_back_still_counts(terminal):
    cashier = Cashier(terminal.driver)
    customer = Customer(comes_back=True, cashier=cashier)
    result, shown, seen = second_tap_sale(terminal, customer, cashier)
    assert customer.taps == 2
    reversed_by_the_cancel(terminal, result, cashier, seen, DELIVERED)


def test_a_cancel_typed_while_no_card_comes_back_still_counts(terminal):
    cashier = Cashier(terminal.driver)
    customer = Customer(comes_back=False, cashier=cashier)
    result, shown, seen = second_tap_sale(terminal, customer, cashier)
    reversed_by_the_cancel(terminal, result, cashier, seen,
                           NOT_DELIVERED.format(why="no card within the card timeout"))
