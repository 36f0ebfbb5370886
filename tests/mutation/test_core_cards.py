"""How a sale meets its card, read back from what the operator sees, the result, the journal and the wire:
a swipe refused by the chip-first rules, a reader that fails, a chip pulled mid-read (which opens that card's
magstripe fallback, and no other card's), a blocked application (which opens none)."""
from __future__ import annotations

import datetime as dt

import pytest

from drivers.errors import ReaderError
from terminal.card.chip_first import SwipedTracks
from terminal.config import Config
from terminal.store.states import TxnState
from terminal.txn import core as c
from terminal.txn.cards import SwipeReader
from terminal.txn.clock import ManualClock
from tests.mutation.core_world import Chip, configure, recent_ids, swipe, wire

PULLED = "reader 'emulated': the card was removed before 00B2011C"   # the 8th APDU: READ RECORD 1.3


def test_a_chip_card_swiped_is_refused_naming_why_and_nothing_is_written_or_sent(terminal):
    sent = wire(terminal)
    result = terminal.driver.sale("purchase", 1234, swipe("mastercard"))
    assert (result.id, result.outcome, result.exit_code, result.message) == (None, "not_sent", 4, "INSERT CARD")
    assert result.reason == "chip card (service code 201): the chip must be read"
    assert result.to_json()["reason"] == result.reason
    assert terminal.journal.txns() == [] and sent == []


def test_a_reader_that_fails_before_any_card_ends_the_sale_with_its_words(terminal):
    def broken() -> SwipedTracks:
        raise ReaderError("reader /dev/ttyUSB0 gone")
    result = terminal.driver.sale("purchase", 1234, SwipeReader(broken))
    assert (result.outcome, result.exit_code, result.device_error) == ("not_sent", 4, True)
    assert result.message == "CARD ERROR: reader /dev/ttyUSB0 gone"
    assert result.reason == "reader /dev/ttyUSB0 gone"
    assert result.to_json() == {"id": None, "stan": None, "outcome": "not_sent", "response_code": None,
                                "auth_code": None, "rrn": None, "amount": 1234, "currency": "156", "masked_pan": "",
                                "entry_mode": "", "message": "CARD ERROR: reader /dev/ttyUSB0 gone",
                                "reason": "reader /dev/ttyUSB0 gone"}
    assert terminal.journal.txns() == []


def test_a_chip_pulled_mid_read_says_so_and_opens_the_fallback_of_that_card_only(terminal):
    sent = wire(terminal)
    card = Chip("visa", terminal.driver.cfg, pull_before=8)
    result = terminal.driver.sale("purchase", 1234, card.reader, pinpad=card.pinpad)
    assert (result.id, result.outcome, result.exit_code) == (None, "not_sent", 4)
    assert result.message == f"CARD ERROR: card error: {PULLED}"
    assert result.reason == f"card error: {PULLED}"
    assert terminal.journal.txns() == [] and sent == []
    # another chip card may not fall back on this card's failure
    other = terminal.driver.sale("purchase", 1234, swipe("mastercard"))
    assert (other.outcome, other.message) == ("not_sent", "INSERT CARD")
    # the card whose chip failed may: a technical fallback, entry mode 801 in the row and on the wire
    fallback = terminal.driver.sale("purchase", 1234, swipe("visa"))
    row = terminal.journal.txn(fallback.id)
    assert (fallback.outcome, row.state, row.entry_mode, fallback.entry_mode) == ("approved", TxnState.APPROVED,
                                                                                 "801", "801")
    [request] = sent
    assert (request.mti, request.fields[22]) == ("0200", "801")
    # ... once: the fallback used up the chip failure
    again = terminal.driver.sale("purchase", 1234, swipe("visa"))
    assert (again.outcome, again.message) == ("not_sent", "INSERT CARD")


def test_a_blocked_application_opens_no_fallback(terminal):
    card = Chip("blocked", terminal.driver.cfg)
    result = terminal.driver.sale("purchase", 1234, card.reader)
    why = "no application selected: A0000000031010 blocked (SW 6283)"
    assert (result.outcome, result.exit_code, result.message, result.reason) == ("not_sent", 4,
                                                                                 f"CARD ERROR: {why}", why)
    refused = terminal.driver.sale("purchase", 1234, swipe("visa"))
    assert (refused.outcome, refused.message) == ("not_sent", "INSERT CARD")
    assert refused.reason == "chip card (service code 201): the chip must be read"


def test_a_swipe_without_the_fallback_store_is_a_driver_defect_named_as_such():
    core = c.SaleCore(Config(), "purchase", 100)
    now = ManualClock(dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)).now()
    core.start(now)
    with pytest.raises(c.SequenceError) as raised:
        core.handle(c.Swiped(SwipedTracks(None, None)), now)
    assert str(raised.value) == "sale core: a swipe needs the fallback store for the chip-first rules"


def test_a_chip_that_fails_before_giving_its_pan_opens_the_fallback_of_any_card_once(terminal):
    """Pulled before the second APDU, the card gave no PAN: the failure is kept with no card key, which any
    card's fallback may use, once."""
    card = Chip("visa", terminal.driver.cfg, pull_before=2)
    result = terminal.driver.sale("purchase", 1234, card.reader, pinpad=card.pinpad)
    assert (result.outcome, result.exit_code, result.masked_pan) == ("not_sent", 4, "")
    assert result.message.startswith("CARD ERROR: card error: reader 'emulated': the card was removed before ")
    fallback = terminal.driver.sale("purchase", 1234, swipe("mastercard"))
    assert (fallback.outcome, fallback.entry_mode) == ("approved", "801")
    assert terminal.driver.sale("purchase", 1234, swipe("visa")).message == "INSERT CARD"


def test_a_chip_with_a_malformed_record_is_known_by_its_track_2_equivalent(terminal):
    """bad-tlv's first record (track 2 equivalent) reads fine, its second does not: the failure is that card's,
    so another chip card may not fall back on it."""
    card = Chip("bad-tlv", terminal.driver.cfg)
    result = terminal.driver.sale("purchase", 1234, card.reader)
    assert (result.outcome, result.exit_code, result.masked_pan) == ("not_sent", 4, "476173******0069")
    assert result.message.startswith("CARD ERROR: READ RECORD 2.1: bad TLV at byte 0 (tag 70)")
    assert terminal.driver.sale("purchase", 1234, swipe("mastercard")).message == "INSERT CARD"


def test_a_tapped_card_known_only_by_its_track_2_equivalent_meets_the_exception_file(terminal):
    """Book C-3 does not make 5A mandatory: a qVSDC card may give its PAN in tag 57 only. It must still be
    declined when listed, and its row must still show the masked PAN and carry the card's hash."""
    configure(terminal, risk={"exception_prefixes": ("476173",)})
    sent = wire(terminal)
    card = Chip("contactless", terminal.driver.cfg, without=(0x5A,))
    listed = terminal.driver.sale("purchase", 2000, card.reader, pinpad=card.pinpad)
    row = terminal.journal.txn(listed.id)
    assert (listed.outcome, listed.message, row.masked_pan, row.entry_mode) == (
        "declined", "DECLINED: card on exception file", "476173******0119", "071")
    assert sent == []
    configure(terminal, risk={"exception_prefixes": ()})
    card = Chip("contactless", terminal.driver.cfg, without=(0x5A,))
    approved = terminal.driver.sale("purchase", 2000, card.reader, pinpad=card.pinpad)
    assert (approved.outcome, approved.masked_pan) == ("approved", "476173******0119")
    assert recent_ids(terminal, "4761739001010119") == [listed.id, approved.id]
    [m] = sent
    assert m.fields[35] == "4761739001010119=301220100000000" and 2 not in m.fields
