"""What the sale core tells the chip once the host has had its say, read from the second GENERATE AC (its
CDOL2 data opens with the authorisation response code, tag 8A): a sale being reversed for an answer that
never came tells the card 68, a sale the operator cancelled while the host approved tells it 17, an answer
without field 39 is declined and the card hears no code of its own invention. The unpredictable number a
test injects is the one the card signs and the 0200 carries (9F37). A card given without PAN or track 2
skips the card rules: there is nothing to look up."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from drivers.emvspec.ber_tlv import parse_deep
from terminal.config import Config
from terminal.iso8583 import decode
from terminal.store.fallbacks import JournalFallbackStore
from terminal.txn import core as c
from terminal.txn.clock import ManualClock
from terminal.txn.exchange import Answered, NoAnswer
from terminal.txn.records import CardInput
from tests.txn.test_core import CFG, HONOLULU, Trip


def second_generate_ac(effects) -> c.Transmit:
    [gen] = [e for e in effects if isinstance(e, c.Transmit)]
    assert gen.apdu[:2] == b"\x80\xae", gen.name
    return gen


def arc_told(gen: c.Transmit) -> bytes:
    return gen.apdu[5:7]    # CLA INS P1 P2 Lc, then CDOL2: 8A first


def test_a_sale_reversed_for_an_answer_that_never_came_tells_the_card_68(tmp_path):
    t = Trip(tmp_path).chip_to(c.Phase.AWAIT_HOST)
    effects = t.feed(c.HostReplied(NoAnswer("no response within 5 s")))
    assert [type(e).__name__ for e in effects] == ["Conclude", "Reverse", "Transmit"]
    gen = second_generate_ac(effects)
    assert (gen.name, arc_told(gen)) == ("2nd GENERATE AC (AAC)", b"68")


def test_a_sale_cancelled_while_the_host_approved_tells_the_card_17(tmp_path):
    t = Trip(tmp_path).chip_to(c.Phase.AWAIT_HOST)
    assert t.feed(c.OperatorCancelled()) == []
    answer = t.host_answer()
    assert str(answer.reply.message.fields[39]) == "00"
    gen = second_generate_ac(t.feed(answer))
    assert (gen.name, arc_told(gen)) == ("2nd GENERATE AC (AAC)", b"17")
    t.answer_card()
    assert t.core.phase is c.Phase.DONE
    assert t.effects == [c.Reverse(7, "17", "operator cancelled after the request was sent", c.CANCEL_LINE),
                         c.Finish(c.CANCEL_LINE)]


def test_an_answer_without_field_39_is_declined_and_the_card_is_told_no_made_up_code(tmp_path):
    t = Trip(tmp_path).chip_to(c.Phase.AWAIT_HOST)
    message = t.host_answer().reply.message
    bare = replace(message, fields={n: v for n, v in message.fields.items() if n != 39})
    effects = t.feed(c.HostReplied(Answered(bare)))
    [conclude] = [e for e in effects if isinstance(e, c.Conclude)]
    assert (conclude.verdict.state.value, conclude.verdict.response_code) == ("declined", "")
    [auth] = [e for e in effects if isinstance(e, c.Transmit)]
    assert auth.name == "EXTERNAL AUTHENTICATE"     # the issuer's field 55 (tag 91) still reaches the card
    gen = second_generate_ac(t.feed(c.CardAnswered(t.card.transmit(auth.apdu))))
    assert (gen.name, arc_told(gen)) == ("2nd GENERATE AC (AAC)", b"00")   # the empty code, padded


def test_the_unpredictable_number_injected_is_the_one_the_0200_carries(tmp_path):
    t = Trip(tmp_path)
    t.core = c.SaleCore(CFG, "purchase", 1234, fallbacks=JournalFallbackStore(t.journal), pin_entry=True,
                        unpredictable=lambda: bytes.fromhex("0badcafe"))
    t.effects = t.core.start(HONOLULU.now())
    t.chip_to(c.Phase.AWAIT_HOST)
    fields = decode(t.request.wire, CFG.keys.mac_key).fields
    un = [tlv.value for tlv in parse_deep(bytes(fields[55])) if tlv.tag == 0x9F37]
    assert un == [bytes.fromhex("0badcafe")]


def test_a_card_given_without_pan_or_track_2_skips_the_card_rules():
    core = c.SaleCore(Config(), "purchase", 100)
    now = ManualClock(dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)).now()
    core.start(now)
    assert core.handle(c.CardKnown(CardInput("010", "")), now) == [c.SettleOperator()]
    assert (core.phase, core.card_hash) == (c.Phase.CHECKPOINT, None)
