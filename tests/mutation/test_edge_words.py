"""What the merchant reads about a transaction (`posterm txn find`'s line, the journal's words in a listing),
the generated sale-core table of docs/txn.md, and the card sources' answers when there is no chip to talk to."""
from __future__ import annotations

import pytest

from drivers.emulated.inprocess import InProcessChannel
from drivers.emulated.vcard import load_profile
from drivers.errors import ReaderError
from terminal.card.chip_first import SwipedTracks
from terminal.emv.pin import EmulatedPinPad, Format0TdesKey
from terminal.i18n.text import language, set_language
from terminal.store.states import TxnState
from terminal.txn.cards import ChipReader, KnownCard, SwipeReader
from terminal.txn.doc import BEGIN, END, generated_section, render_table, rewrite
from terminal.txn.engine import Engine
from terminal.txn.find import answer, nothing_found
from terminal.txn.records import CardInput
from terminal.txn.words import state_word
from tests.mutation.test_sale_records import swipe


@pytest.fixture
def speak():
    """set_language for one test, and the language it found restored after."""
    previous = language()
    yield set_language
    set_language(previous)


# ---- txn find ------------------------------------------------------------------------------------------------
def test_txn_find_answers_one_line_per_sale_refund_and_void_in_the_merchants_language(terminal, speak):
    speak("en")
    sale = terminal.driver.sale("purchase", 500, swipe())
    refund = terminal.driver.sale("refund", 200, swipe())
    voided = terminal.driver.sale("purchase", 700, swipe())
    void = Engine.of(terminal.driver).sale("void", 700, CardInput("901", terminal.journal.txn(sale.id).masked_pan),
                                           original=terminal.journal.txn(voided.id))
    j = terminal.journal
    assert [answer(j.txn(r.id), j) for r in (sale, refund, voided, void)] == [
        "2026-12-01 17:30:00  sale CNY 5.00  card 476173******0010  #1 STAN 000001: "
        "approved, settles with batch 000001",
        "2026-12-01 17:30:01  refund CNY 2.00  card 476173******0010  #2 STAN 000002: "
        "refund approved, settles with batch 000001",
        "2026-12-01 17:30:03  sale CNY 7.00  card 476173******0010  #3 STAN 000003: "
        "voided (voided by transaction 4): removed from the batch, customer not charged",
        "2026-12-01 17:30:04  void CNY 7.00  card 476173******0010  #4 STAN 000004: "
        "void approved, settles with batch 000001",
    ]
    assert nothing_found("card ****0010 on 2026-12-01") == (
        "no transaction of this terminal matches card ****0010 on 2026-12-01")
    speak("zh_CN")
    assert [answer(j.txn(r.id), j) for r in (sale, refund, void)] == [
        "2026/12/01 17:30:00  消费 ¥5.00  卡号 476173******0010  #1 流水号 000001：交易成功，将随批次 000001 结算",
        "2026/12/01 17:30:01  退货 ¥2.00  卡号 476173******0010  #2 流水号 000002：退货成功，将随批次 000001 结算",
        "2026/12/01 17:30:04  撤销 ¥7.00  卡号 476173******0010  #4 流水号 000004：撤销成功，将随批次 000001 结算",
    ]
    assert nothing_found("card ****0010") == "本终端没有符合条件的交易：card ****0010"


def test_a_listing_shows_the_stored_state_word_translated(speak):
    speak("en")
    assert [state_word(s) for s in (TxnState.APPROVED, TxnState.VOIDED)] == ["approved", "voided"]
    speak("zh_CN")
    assert [state_word(s) for s in (TxnState.APPROVED, TxnState.VOIDED)] == ["批准", "已撤销"]


# ---- docs/txn.md's generated table ---------------------------------------------------------------------------
def test_rewrite_replaces_only_the_generated_part_of_the_doc(tmp_path):
    doc = tmp_path / "txn.md"
    doc.write_text(f"# The sale core\nprose before — kept\n{BEGIN}\n| stale | table |\n{END}\nprose after\n",
                   encoding="utf-8")
    rewrite(doc)
    assert doc.read_text(encoding="utf-8") == (
        f"# The sale core\nprose before — kept\n{BEGIN}\n{render_table()}\n{END}\nprose after\n")
    assert generated_section(doc.read_text(encoding="utf-8")) == render_table()


def test_a_doc_without_the_markers_is_refused_naming_the_doc_and_the_marker():
    with pytest.raises(ValueError) as missing:
        generated_section("# The sale core, with its table deleted\n")
    assert str(missing.value) == f"txn doc: marker {BEGIN!r} not found"


# ---- card sources ----------------------------------------------------------------------------------------------
def test_card_sources_without_a_chip_refuse_to_talk_and_cannot_be_presented_again():
    known = KnownCard(CardInput("901", "476173******0010"))
    with pytest.raises(ReaderError) as given:
        known.transmit(bytes.fromhex("00A4040000"))
    assert str(given.value) == "no card to talk to: the card data was given"
    swiped = SwipeReader(lambda: SwipedTracks(None, None))
    with pytest.raises(ReaderError) as magstripe:
        swiped.transmit(bytes.fromhex("00A4040000"))
    assert str(magstripe.value) == "a magstripe reader has no chip to talk to"
    assert (known.present_again(), swiped.present_again()) == (False, False)


class BrokenReader(ReaderError):
    """A reader fault whose driver gave no text: the fault is named by its class."""


@pytest.mark.parametrize("fault, named", [(ReaderError("reader unplugged"), "reader unplugged"),
                                          (BrokenReader(), "BrokenReader")])
@pytest.mark.parametrize("reader", [SwipeReader, ChipReader])
def test_a_reader_fault_while_waiting_for_the_card_ends_the_sale_naming_it(terminal, fault, named, reader):
    def read():
        raise fault
    result = terminal.driver.sale("purchase", 500, reader(read))
    assert (result.outcome, result.device_error, result.reason, result.exit_code) == ("not_sent", True, named, 4)
    assert result.message == f"CARD ERROR: {named}"
    assert terminal.host.received == [] and terminal.journal.txns() == []


class Opened:
    """Every channel a ChipReader opened, in order (the emulated Visa card)."""

    def __init__(self) -> None:
        self.channels: list[InProcessChannel] = []
        self.card = load_profile("visa")

    def open(self) -> InProcessChannel:
        self.channels.append(InProcessChannel(self.card))
        return self.channels[-1]


def test_a_chip_presented_again_is_opened_afresh_and_the_old_channel_closed():
    opened = Opened()
    reader = ChipReader(opened.open)
    reader.wait(lambda: 1)
    first = reader.channel
    assert reader.present_again() is True
    assert len(opened.channels) == 2 and reader.channel is opened.channels[1]
    with pytest.raises(ReaderError):     # the first channel was closed
        first.transmit(bytes.fromhex("00A404000E315041592E5359532E4444463031"))
    assert reader.transmit(bytes.fromhex("00A404000E315041592E5359532E4444463031"))[-2:] == b"\x90\x00"


def test_a_chip_presented_again_through_reopen_keeps_the_same_card():
    opened = Opened()
    reopened = []

    def reopen(old):
        reopened.append(old)
        return InProcessChannel(old.card)
    reader = ChipReader(opened.open, reopen)
    assert reader.present_again() is True           # nothing was open: the opener waits for a card
    assert len(opened.channels) == 1 and reopened == []
    assert reader.present_again() is True           # a card was there: the same card, presented again
    assert reopened == [opened.channels[0]] and len(opened.channels) == 1
    assert reader.channel is not opened.channels[0] and reader.channel.card is opened.card


def test_no_card_presented_again_within_the_timeout_is_false_and_leaves_no_channel():
    opened = Opened()
    calls = []

    def gone(old=None):
        calls.append(old)
        raise ReaderError("no card within 30 s")
    reader = ChipReader(opened.open, gone)
    reader.wait(lambda: 1)
    assert reader.present_again() is False and reader.channel is None and calls == [opened.channels[0]]
    with pytest.raises(ReaderError) as none:
        reader.transmit(bytes.fromhex("00A4040000"))
    assert str(none.value) == "no card in the reader"
    assert ChipReader(gone).present_again() is False


def test_closing_a_chip_reader_closes_its_channel_once():
    opened = Opened()
    reader = ChipReader(opened.open)
    reader.close()                                   # nothing open yet: nothing to do
    reader.wait(lambda: 1)
    reader.close()
    assert reader.channel is None
    with pytest.raises(ReaderError):
        opened.channels[0].transmit(bytes.fromhex("00A404000E315041592E5359532E4444463031"))
    reader.close()                                   # twice is safe


def test_a_tap_is_read_as_contactless_and_numbered_by_the_terminals_sequence_counter(terminal):
    tap = ChipReader(lambda: InProcessChannel(load_profile("contactless"), protocol="contactless"))
    insert = ChipReader(lambda: InProcessChannel(load_profile("visa")))
    tapped = terminal.driver.sale("purchase", 500, tap)
    inserted = terminal.driver.sale("purchase", 600, insert,
                                    pinpad=EmulatedPinPad("1234", Format0TdesKey(terminal.driver.cfg.keys.pin_key)))
    rows = [terminal.journal.txn(r.id) for r in (tapped, inserted)]
    assert [(r.entry_mode, r.tsc) for r in rows] == [("071", 1), ("051", 2)]   # contactless chip, contact chip
