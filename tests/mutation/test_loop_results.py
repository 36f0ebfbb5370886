"""What a sale's result says and who hears it (terminal/txn/loop.py _Run.until_done and result): the operator's
keypad is told the sale starts and how it ended (approved or not, with the line to show), and the result carries
the row's words, or, when no row was written, the card's and the amount's."""
from __future__ import annotations

from drivers.emulated.inprocess import InProcessChannel
from terminal.txn.operator import NoOperator
from drivers.errors import ReaderError
from tests.mutation.test_loop_driver import PulledAtThird, tap_with
from tests.mutation.test_loop_journal_faults import offline_terminal, tap
from tests.mutation.test_sale_records import swipe
from terminal.txn.records import SaleResult


class Keypad(NoOperator):
    def __init__(self) -> None:
        self.heard: list[tuple] = []
        self.events: list[str] = []

    def start_sale(self) -> None:
        self.heard.append(("start",))

    def notify(self, event) -> None:
        self.events.append(type(event).__name__)

    def show_result(self, message: str, approved: bool) -> None:
        self.heard.append((message, approved))


def test_the_keypad_hears_each_sale_start_and_whether_it_was_approved(terminal):
    keypad = Keypad()
    terminal.driver.sale("purchase", 1234, swipe(), operator=keypad)
    terminal.driver.sale("purchase", 1300, swipe(), operator=keypad)   # the simulated issuer declines it
    offline_terminal(terminal)
    terminal.driver.sale("purchase", 500, tap(), operator=keypad)
    assert keypad.heard == [("start",), ("APPROVED", True), ("start",), ("DECLINED: insufficient funds", False),
                            ("start",), ("APPROVED (OFFLINE)", True)]
    # the card is seen, then the request leaves (twice online); the offline tap sends nothing
    assert keypad.events == ["CardPresented", "RequestSent", "CardPresented", "RequestSent", "CardPresented"]


def test_a_sale_reversed_for_no_answer_says_so_and_that_nobody_was_charged(terminal):
    def lose_the_sales_answer(m):
        terminal.net.faults.response_lost = 1.0 if m.mti == "0200" else 0.0
    terminal.host.on_request = lose_the_sales_answer
    result = terminal.driver.sale("purchase", 700, swipe())
    assert (result.outcome, result.message) == ("reversed", "NO RESPONSE: transaction reversed, customer not charged")
    assert terminal.journal.txn(result.id).message.startswith("NO RESPONSE")


def test_a_sale_still_reversing_says_the_rows_words(terminal):
    terminal.net.faults.response_lost = 1.0
    result = terminal.driver.sale("purchase", 700, swipe())
    row = terminal.journal.txn(result.id)
    assert result == SaleResult(row.id, row.stan, "reversal_pending", None, None, None, 700, "156", "476173******0010",
                                "901", "NO RESPONSE: reversing, customer not charged")


def test_a_sale_refused_before_sending_keeps_the_rows_reason_as_its_line(terminal):
    terminal.net.faults.response_lost = 1.0
    lost = terminal.driver.sale("purchase", 700, swipe())
    terminal.net.faults.response_lost = 0.0
    terminal.net.down = True
    result = terminal.driver.sale("purchase", 800, swipe())
    assert (result.outcome, result.message) == ("not_sent",
                                                f"NOT SENT: reversal of STAN {lost.stan:06d} still waiting for the host")
    assert terminal.journal.txn(result.id).message == result.message
    from terminal.i18n.text import _, language, set_language
    was = language()
    set_language("zh-CN")                     # the line the core made stays translatable, STAN and all
    try:
        assert _(result.message) == f"未发送：流水号 {lost.stan:06d} 的冲正尚未送达主机"
    finally:
        set_language(was)


def test_a_card_that_fails_before_any_row_gives_the_amount_entry_and_reason(terminal):
    result = terminal.driver.sale("purchase", 900, tap_with(PulledAtThird))
    assert result == SaleResult(None, None, "not_sent", None, None, None, 900, "156", "", "071",
                                "CARD ERROR: card error: card removed", device_error=True,
                                reason="card error: card removed")


class CancelsAtPoll(Keypad):
    """A CANCEL typed while the card is being read (the keypad is polled at each APDU)."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at, self.polls = at, 0

    def poll(self):
        from terminal.txn import core as c
        self.polls += 1
        return [c.OperatorCancelled()] if self.polls == self.at else []


def test_a_cancel_while_the_card_is_read_ends_the_sale_and_its_answer_is_dropped(terminal):
    keypad = CancelsAtPoll(at=3)
    result = terminal.driver.sale("purchase", 900, tap_with(InProcessChannel), operator=keypad)
    assert (result.id, result.outcome) == (None, "cancelled")
    assert keypad.heard == [("start",), (result.message, False)]
    assert terminal.host.received == []


def test_a_core_that_stops_with_nothing_to_do_is_a_sequence_error_naming_its_phase(terminal):
    import pytest
    from terminal.store.fallbacks import JournalFallbackStore
    from terminal.txn import core as c
    from terminal.txn.loop import _Run

    class Stalled(c.SaleCore):     # a broken core: asks for nothing, never finishes
        def start(self, now):
            return []

    core = Stalled(terminal.driver.cfg, "purchase", 100, fallbacks=JournalFallbackStore(terminal.journal))
    with pytest.raises(c.SequenceError) as e:
        _Run(terminal.driver, core, swipe(), NoOperator(), None, None).until_done()
    assert str(e.value) == f"sale core stopped while {core.phase.value} with nothing to do"
    assert core.phase.value


def test_a_chip_pulled_after_its_pan_was_read_names_the_masked_pan_though_no_row_was_written(terminal):
    from drivers.emulated.vcard import load_profile
    from terminal.emv.pin import EmulatedPinPad, Format0TdesKey
    from terminal.txn.cards import ChipReader

    class PulledAtEighth(PulledAtThird):
        def transmit(self, apdu: bytes) -> bytes:
            self.n += 1
            if self.n == 8:                  # after the records that hold the PAN, before the cryptogram
                raise ReaderError("card removed")
            return InProcessChannel.transmit(self, apdu)

    virtual = load_profile("visa")
    pinpad = EmulatedPinPad(virtual.image.pin, Format0TdesKey(terminal.driver.cfg.keys.pin_key))
    result = terminal.driver.sale("purchase", 900, ChipReader(lambda: PulledAtEighth(virtual)), pinpad=pinpad)
    assert result == SaleResult(None, None, "not_sent", None, None, None, 900, "156", "476173******0010", "051",
                                "CARD ERROR: card error: card removed", device_error=True,
                                reason="card error: card removed")


def test_a_sale_cancelled_before_any_card_has_no_card_to_name(terminal):
    result = terminal.driver.sale("purchase", 900, swipe(), operator=CancelsAtPoll(at=1))
    assert result == SaleResult(None, None, "cancelled", None, None, None, 900, "156", "", "",
                                "CANCELLED: nothing sent")
    assert terminal.host.received == []
