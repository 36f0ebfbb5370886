"""The sale core's table, pair by pair: every (phase, event) the table names does what its row says, and every
pair it does not name is refused as a driver defect (SequenceError), never guessed.

The core is driven here without any I/O of its own, as the driver loop would drive it: the card is the real
emulated card in process (its APDU answers are the CardAnswered events), the host is the host simulator's own
logic answering the core's encoded 0200 (real codec, real MAC), the clock is a ManualClock far from UTC.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from drivers.emulated.inprocess import InProcessChannel
from drivers.emulated.vcard import card_image, load_profile
from drivers.emvspec.ber_tlv import parse
from terminal.card.chip_first import SwipedTracks
from terminal.config import Config
from terminal.emv.pin import EmulatedPinPad
from terminal.emv.prompts import block_from
from terminal.hostsim.ledger import Ledger
from terminal.hostsim.logic import HostLogic
from terminal.iso8583 import decode, encode
from terminal.store import Journal
from terminal.store.fallbacks import JournalFallbackStore
from terminal.txn import core as c
from terminal.txn.clock import ManualClock
from terminal.txn.exchange import NoAnswer, read_answer
from terminal.risk.cardhash import card_hash, derived_key
from terminal.risk.rules import Facts, Seen
from terminal.txn.records import CardInput

CFG = Config()
HONOLULU = ManualClock(dt.datetime(2026, 12, 1, 5, 30, 0, tzinfo=dt.timezone.utc), utc_offset_h=-10)
SWIPE = CardInput(entry_mode="901", masked_pan="476173******0010", track2="4761739001010010=301210100000000")
EVENTS = {
    c.CardKnown: c.CardKnown(SWIPE),
    c.Swiped: None,                          # built per test (needs the card's tracks)
    c.ChipPresented: c.ChipPresented(False, 41),
    c.CardAnswered: c.CardAnswered(b"\x90\x00"),
    c.CardFault: c.CardFault("card removed"),
    c.CardPresentedAgain: c.CardPresentedAgain(),
    c.CardNotPresentedAgain: c.CardNotPresentedAgain("no card within the card timeout"),
    c.PinEntered: c.PinEntered(None),
    c.ApplicationChosen: c.ApplicationChosen(0),
    c.OperatorCancelled: c.OperatorCancelled(),
    c.OperatorSettled: c.OperatorSettled(False),
    c.Cleared: c.Cleared(0),
    c.Committed: c.Committed(7, 123, 1),
    c.HostReplied: c.HostReplied(NoAnswer("no response within 5 s")),
    c.RiskLooked: c.RiskLooked(Facts()),
    c.OperatorAnswered: c.OperatorAnswered(False),
}


class Trip:
    """One core and the parts that answer its effects: a card, the host's logic, a fallback store."""

    def __init__(self, tmp_path, profile: str = "visa", *, choose: bool = False, kind: str = "purchase",
                 cfg: Config = CFG) -> None:
        self.journal = Journal(tmp_path / "j.sqlite3")
        self.core = c.SaleCore(cfg, kind, 1234, fallbacks=JournalFallbackStore(self.journal),
                               interactive_choice=choose, pin_entry=True)
        self.card = InProcessChannel(load_profile(profile))
        self.profile = profile
        self.host = HostLogic(Ledger())
        self.effects = self.core.start(HONOLULU.now())

    def feed(self, event) -> list:
        self.effects = self.core.handle(event, HONOLULU.now())
        self.request = next((e.request for e in self.effects if isinstance(e, c.Send)), getattr(self, "request", None))
        return self.effects

    def last(self, kind):
        return next(e for e in reversed(self.effects) if isinstance(e, kind))

    def answer_card(self) -> None:
        """Answer card commands until the kernel wants something other than the card."""
        while self.effects and isinstance(self.effects[-1], c.Transmit):
            self.feed(c.CardAnswered(self.card.transmit(self.effects[-1].apdu)))

    def chip_to(self, phase: c.Phase) -> "Trip":
        self.feed(c.ChipPresented(False, 41))
        if phase is c.Phase.KERNEL:
            return self
        self.answer_card()
        while isinstance(self.effects[-1], (c.PromptPin, c.PromptApplication)):
            if isinstance(self.effects[-1], c.PromptPin):
                pin = EmulatedPinPad(card_image(self.profile).pin)
                self.feed(c.PinEntered(block_from(pin, self.effects[-1].prompt)))
            else:
                self.feed(c.ApplicationChosen(0))
            self.answer_card()
        return self._online_to(phase)

    def swipe_to(self, phase: c.Phase) -> "Trip":
        self.feed(c.CardKnown(SWIPE))
        return self._online_to(phase)

    def _online_to(self, phase: c.Phase) -> "Trip":
        for event, reached in ((c.RiskLooked(Facts()), c.Phase.CHECKPOINT),
                               (c.OperatorSettled(False), c.Phase.CLEARING), (c.Cleared(0), c.Phase.WRITING_AHEAD),
                               (c.Committed(7, 123, 1), c.Phase.AWAIT_HOST)):
            if self.core.phase is phase:
                return self
            if type(event) not in c.TABLE[self.core.phase]:
                continue   # a step this sale is already past (the risk rules, answered)
            self.feed(event)
            assert self.core.phase is reached
        if phase is c.Phase.AWAIT_HOST:
            return self
        self.feed(self.host_answer())
        assert self.core.phase is phase
        return self

    def host_answer(self) -> c.HostReplied:
        request = self.request
        mti, fields = self.host.handle(decode(request.wire, CFG.keys.mac_key))
        return c.HostReplied(read_answer(request, encode(mti, fields, CFG.keys.mac_key), CFG.keys.mac_key))


def kinds(effects) -> list[str]:
    return [type(e).__name__ for e in effects]


# ---- every pair the table does not name is a driver defect ---------------------------------------------------
OUTSIDE = [(p, e) for p in c.Phase for e in EVENTS if e not in c.TABLE[p]]


@pytest.mark.parametrize("phase, event_type", OUTSIDE, ids=[f"{p.name}-{e.__name__}" for p, e in OUTSIDE])
def test_pairs_outside_the_table_are_refused(phase, event_type):
    core = c.SaleCore(CFG, "purchase", 100)
    core.phase = phase
    event = EVENTS[event_type] or c.Swiped(SwipedTracks(None, None))
    with pytest.raises(c.SequenceError, match=f"{event_type.__name__} cannot happen while {phase.value}"):
        core.handle(event, HONOLULU.now())


def test_every_pair_of_the_table_has_a_test_below():
    assert set(EVENTS) == set(c.Event.__args__)   # the events of this file are all the core's events
    named = {(p.name, e.__name__) for p, row in c.TABLE.items() for e in row}
    tested = {tuple(name.split("__")[1:3]) for name in globals() if name.startswith("test_row__")}
    assert named == tested, named ^ tested


# ---- WAIT_CARD ---------------------------------------------------------------------------------------------
def test_row__WAIT_CARD__CardKnown(tmp_path):
    t = Trip(tmp_path)
    [look] = t.feed(c.CardKnown(SWIPE))
    assert isinstance(look, c.LookUpRisk) and t.core.phase is c.Phase.RISK
    assert look.card_hash == card_hash("4761739001010010", derived_key(CFG.keys.data_key))
    assert look.since == "2026-12-01T05:20:00.000+00:00"          # the longest window (600 s) back, UTC
    assert look.day_start == "2026-11-30T00:00:00"                 # local midnight in Honolulu
    (tmp_path / "void").mkdir()
    void = Trip(tmp_path / "void", kind="void")                    # a void names its original: no card rules
    assert kinds(void.feed(c.CardKnown(SWIPE))) == ["SettleOperator"] and void.core.phase is c.Phase.CHECKPOINT


def test_row__WAIT_CARD__Swiped(tmp_path):
    t = Trip(tmp_path)
    tracks = card_image("unionpay").tracks   # a chip card swiped: chip-first refuses, nothing is written
    t.feed(c.Swiped(SwipedTracks(tracks.track1, tracks.track2)))
    [finish] = t.effects
    assert t.core.phase is c.Phase.DONE and finish.device_error and finish.outcome == "not_sent"


def test_row__WAIT_CARD__ChipPresented(tmp_path):
    t = Trip(tmp_path)
    assert kinds(t.feed(c.ChipPresented(False, 41))) == ["Notify", "Transmit"]
    assert t.core.phase is c.Phase.KERNEL and t.core.sequence_counter == 41


def test_row__WAIT_CARD__CardFault(tmp_path):
    t = Trip(tmp_path)
    [finish] = t.feed(c.CardFault("no card in reader X within 30 s"))
    assert finish.device_error and finish.message == "CARD ERROR: no card in reader X within 30 s"


def test_row__WAIT_CARD__OperatorCancelled(tmp_path):
    t = Trip(tmp_path)
    assert t.feed(c.OperatorCancelled()) == [c.Finish("CANCELLED: nothing sent", "cancelled")]


# ---- KERNEL ------------------------------------------------------------------------------------------------
def test_row__KERNEL__CardAnswered(tmp_path):
    t = Trip(tmp_path).chip_to(c.Phase.KERNEL)
    t.feed(c.CardAnswered(t.card.transmit(t.effects[-1].apdu)))
    assert kinds(t.effects) == ["Transmit"] and t.core.phase is c.Phase.KERNEL


def test_row__KERNEL__CardFault(tmp_path):
    t = Trip(tmp_path).chip_to(c.Phase.KERNEL)
    effects = t.feed(c.CardFault("card removed"))
    assert kinds(effects) == ["RecordChipFailure", "Finish"] and effects[-1].device_error


def test_row__KERNEL__PinEntered(tmp_path):
    t = Trip(tmp_path, "unionpay")   # online PIN: the block goes to the host in field 52
    t.chip_to(c.Phase.KERNEL)
    t.answer_card()
    prompt = t.last(c.PromptPin).prompt
    assert prompt.method == "online" and prompt.pan and t.core.phase is c.Phase.KERNEL
    block = block_from(EmulatedPinPad("123456"), prompt)
    t.feed(c.PinEntered(block))
    assert kinds(t.effects) == ["Transmit"] and t.core.kernel.ctx.pin_block == block


def test_row__KERNEL__ApplicationChosen(tmp_path):
    t = Trip(tmp_path, "unionpay", choose=True)
    t.chip_to(c.Phase.KERNEL)
    t.answer_card()
    assert t.last(c.PromptApplication).labels == ("UnionPay Debit", "UnionPay Credit")
    t.feed(c.ApplicationChosen(1))
    assert t.effects[0].name == "SELECT" and bytes.fromhex("A000000333010102") in t.effects[0].apdu


def test_row__KERNEL__OperatorCancelled(tmp_path):
    t = Trip(tmp_path).chip_to(c.Phase.KERNEL)
    assert kinds(t.feed(c.OperatorCancelled())) == ["Finish"] and t.effects[0].outcome == "cancelled"


# ---- RISK and ASKING ------------------------------------------------------------------------------------------
NOW = HONOLULU.now().utc


def _seen(state: str, amount: int = 1234, minutes_ago: float = 2, stan: int = 123) -> Seen:
    return Seen(stan, "purchase", amount, state, NOW - dt.timedelta(minutes=minutes_ago), "2026-11-30T19:28:00")


def test_row__RISK__RiskLooked(tmp_path):
    clean = Trip(tmp_path)
    clean.feed(c.CardKnown(SWIPE))
    assert kinds(clean.feed(c.RiskLooked(Facts((_seen("approved", amount=999),))))) == ["SettleOperator"]
    (tmp_path / "2").mkdir()
    twice = Trip(tmp_path / "2")
    twice.feed(c.CardKnown(SWIPE))
    [ask] = twice.feed(c.RiskLooked(Facts((_seen("approved"),))))
    assert ask == c.AskOperator("duplicate_charge", "SAME CARD, SAME AMOUNT", "APPROVED 19:28, STAN 000123", False)
    assert twice.core.phase is c.Phase.ASKING
    (tmp_path / "3").mkdir()
    doubt = Trip(tmp_path / "3")
    doubt.feed(c.CardKnown(SWIPE))
    record, finish = doubt.feed(c.RiskLooked(Facts((_seen("reversal_pending"),))))
    assert record.state == "not_sent" and record.risk[0][:2] == ("duplicate_charge", "in_doubt")
    assert finish.message == "NOT SENT: first attempt STAN 000123 in doubt, reversal pending"
    (tmp_path / "4").mkdir()
    hot = Trip(tmp_path / "4", cfg=replace(CFG, risk=replace(CFG.risk, exception_prefixes=("476173",))))
    hot.feed(c.CardKnown(SWIPE))
    record, finish = hot.feed(c.RiskLooked(Facts()))
    assert record.state == "declined" and "exception file (PAN prefix 476173)" in record.reason
    assert record.card_hash == hot.core.card_hash and finish.message == "DECLINED: card on exception file"


def test_row__RISK__OperatorCancelled(tmp_path):
    t = Trip(tmp_path)
    t.feed(c.CardKnown(SWIPE))
    assert t.feed(c.OperatorCancelled()) == [c.Finish("CANCELLED: nothing sent", "cancelled")]


def test_row__ASKING__OperatorAnswered(tmp_path):
    no = Trip(tmp_path)
    no.feed(c.CardKnown(SWIPE))
    no.feed(c.RiskLooked(Facts((_seen("approved"),))))
    record, finish = no.feed(c.OperatorAnswered(False))
    assert record.state == "declined" and record.risk[0][:2] == ("duplicate_charge", "refused by the operator")
    assert finish.message == "NOT CHARGED AGAIN: same card, same amount already approved"
    (tmp_path / "2").mkdir()
    yes = Trip(tmp_path / "2")
    yes.feed(c.CardKnown(SWIPE))
    yes.feed(c.RiskLooked(Facts((_seen("approved"),))))
    assert kinds(yes.feed(c.OperatorAnswered(True))) == ["SettleOperator"]
    yes._online_to(c.Phase.WRITING_AHEAD)
    write = yes.last(c.WriteAhead)        # the confirmation rides in the write-ahead commit
    assert write.risk == (("duplicate_charge", "confirmed by the operator",
                           "same card and amount approved at 19:28 as STAN 000123"),)
    assert write.card_hash == yes.core.card_hash


def test_row__ASKING__OperatorCancelled(tmp_path):
    t = Trip(tmp_path)
    t.feed(c.CardKnown(SWIPE))
    t.feed(c.RiskLooked(Facts((_seen("approved"),))))
    assert t.feed(c.OperatorCancelled())[0].outcome == "cancelled" and t.core.phase is c.Phase.DONE


# ---- CHECKPOINT, CLEARING, WRITING_AHEAD -----------------------------------------------------------------
def test_row__CHECKPOINT__OperatorSettled(tmp_path):
    t = Trip(tmp_path).swipe_to(c.Phase.CHECKPOINT)
    assert kinds(t.feed(c.OperatorSettled(False))) == ["ClearReversals"]
    (tmp_path / "2").mkdir()
    t2 = Trip(tmp_path / "2").swipe_to(c.Phase.CHECKPOINT)
    assert t2.feed(c.OperatorSettled(True)) == [c.Finish("CANCELLED: nothing sent", "cancelled")]


def test_row__CHECKPOINT__OperatorCancelled(tmp_path):
    t = Trip(tmp_path).swipe_to(c.Phase.CHECKPOINT)
    assert t.feed(c.OperatorCancelled())[0].outcome == "cancelled" and t.core.phase is c.Phase.DONE


def test_row__CLEARING__Cleared(tmp_path):
    t = Trip(tmp_path).swipe_to(c.Phase.CLEARING)
    effects = t.feed(c.Cleared(1, blocking_stan=123, error="cannot connect"))
    assert kinds(effects) == ["RecordEnded", "Finish"] and effects[0].state == "not_sent"
    assert effects[1].message == "NOT SENT: reversal of STAN 000123 still waiting for the host"


def test_row__CLEARING__OperatorCancelled(tmp_path):
    t = Trip(tmp_path).swipe_to(c.Phase.CLEARING)
    assert t.feed(c.OperatorCancelled())[0].outcome == "cancelled"


def test_row__WRITING_AHEAD__Committed(tmp_path):
    t = Trip(tmp_path).chip_to(c.Phase.WRITING_AHEAD)
    write = t.last(c.WriteAhead) if any(isinstance(e, c.WriteAhead) for e in t.effects) else None
    assert write is not None and write.sequence_counter == 41
    assert write.local_time == dt.datetime(2026, 11, 30, 19, 30, 0)   # Honolulu, not UTC
    effects = t.feed(c.Committed(7, 123, 1))
    assert kinds(effects) == ["Notify", "Send"]
    sent = decode(effects[1].request.wire, CFG.keys.mac_key)
    icc = {x.tag: x.value for x in parse(sent.fields[55])}
    # fields 12/13 and 9A (and 9F21) come from the same local instant; 9F41 is the journal's counter
    assert (sent.fields[12], sent.fields[13], sent.fields[11]) == ("193000", "1130", "000123")
    assert icc[0x9A] == bytes.fromhex("261130") and icc[0x9F41] == bytes.fromhex("00000041")
    assert t.core.kernel.ctx.terminal[0x9F21] == bytes.fromhex("193000")


# ---- AWAIT_HOST ---------------------------------------------------------------------------------------------
def test_row__AWAIT_HOST__OperatorCancelled(tmp_path):
    t = Trip(tmp_path).swipe_to(c.Phase.AWAIT_HOST)
    assert t.feed(c.OperatorCancelled()) == [] and t.core.cancel_requested
    effects = t.feed(t.host_answer())    # approved, then reversed with 17
    assert kinds(effects) == ["Conclude", "Reverse", "Finish"] and effects[1].reason_code == "17"
    assert effects[-1].message == "CANCELLED: sale reversed, customer not charged"


def test_row__AWAIT_HOST__HostReplied(tmp_path):
    swipe = Trip(tmp_path).swipe_to(c.Phase.AWAIT_HOST)
    assert kinds(swipe.feed(swipe.host_answer())) == ["Conclude", "Finish"]
    assert swipe.effects[0].verdict.state == "approved"
    (tmp_path / "2").mkdir()
    lost = Trip(tmp_path / "2").swipe_to(c.Phase.AWAIT_HOST)
    effects = lost.feed(c.HostReplied(NoAnswer("no response within 5 s")))
    assert kinds(effects) == ["Conclude", "Reverse", "Finish"] and effects[1].reason_code == "68"
    (tmp_path / "3").mkdir()
    chip = Trip(tmp_path / "3").chip_to(c.Phase.AWAIT_HOST)
    assert kinds(chip.feed(chip.host_answer())) == ["Conclude", "Transmit"]
    assert chip.core.phase is c.Phase.COMPLETING


# ---- COMPLETING and DONE ----------------------------------------------------------------------------------
def test_row__COMPLETING__CardAnswered(tmp_path):
    t = Trip(tmp_path).chip_to(c.Phase.COMPLETING)
    t.answer_card()
    assert t.core.phase is c.Phase.DONE and t.effects == [c.Finish("APPROVED")]


def test_row__COMPLETING__CardFault(tmp_path):
    t = Trip(tmp_path).chip_to(c.Phase.COMPLETING)
    effects = t.feed(c.CardFault("card removed"))   # approved by the host, the card left: reversed (06)
    assert kinds(effects) == ["Reverse", "Finish"] and effects[0].reason_code == "06"


def test_row__COMPLETING__OperatorCancelled(tmp_path):
    t = Trip(tmp_path).chip_to(c.Phase.COMPLETING)
    assert t.feed(c.OperatorCancelled()) == [] and t.core.phase is c.Phase.COMPLETING


# ---- PRESENT_AGAIN: Book C-3 issuer update, the second tap of a qVSDC card ----------------------------------
def issuer_update_trip(tmp_path) -> Trip:
    """A qVSDC tap with issuer update offered by the AID and taken by the card (CTQ byte 2 b7); the host's
    answer carries 91 (the simulator always sends it): the core stops in PRESENT_AGAIN."""
    from drivers.emulated.vcard.engine import VirtualEmvCard
    from terminal.emv.config import EmvTerminalData
    t = Trip(tmp_path)
    emv = EmvTerminalData(contactless_interface=True)
    emv = replace(emv, aids=tuple(replace(a, issuer_update=True) for a in emv.aids))
    t.core = c.SaleCore(CFG, "purchase", 1234, emv=emv, fallbacks=JournalFallbackStore(t.journal), pin_entry=True)
    t.card = InProcessChannel(VirtualEmvCard(replace(card_image("contactless"), ctq=b"\x00\x40")),
                              protocol="contactless")
    t.effects = t.core.start(HONOLULU.now())
    t.feed(c.ChipPresented(True, 41))
    t.answer_card()
    t._online_to(c.Phase.PRESENT_AGAIN)
    assert kinds(t.effects) == ["Conclude", "AwaitCardAgain"] and t.effects[1].message == "PRESENT CARD AGAIN"
    return t


def test_row__PRESENT_AGAIN__CardPresentedAgain(tmp_path):
    t = issuer_update_trip(tmp_path)
    assert [e.name for e in t.feed(c.CardPresentedAgain())] == ["SELECT"] and t.core.phase is c.Phase.COMPLETING
    t.answer_card()
    assert t.core.phase is c.Phase.DONE and t.effects == [
        c.Annotate(7, "issuer update delivered on the second tap: EXTERNAL AUTHENTICATE 9000"), c.Finish("APPROVED")]


def test_row__PRESENT_AGAIN__CardNotPresentedAgain(tmp_path):
    t = issuer_update_trip(tmp_path)
    effects = t.feed(c.CardNotPresentedAgain("no card within the card timeout"))
    assert t.core.phase is c.Phase.DONE and effects == [
        c.Annotate(7, "issuer update not delivered: the card was not presented again (no card within the card "
                      "timeout)"), c.Finish("APPROVED")]


def test_row__PRESENT_AGAIN__OperatorCancelled(tmp_path):
    t = issuer_update_trip(tmp_path)
    assert t.feed(c.OperatorCancelled()) == [] and t.core.phase is c.Phase.PRESENT_AGAIN
    effects = t.feed(c.CardNotPresentedAgain("cancelled by the operator"))   # the approval is reversed (17)
    assert kinds(effects) == ["Annotate", "Reverse", "Finish"] and effects[1].reason_code == "17"


def test_row__DONE__OperatorCancelled(tmp_path):
    t = Trip(tmp_path).swipe_to(c.Phase.DONE)
    assert t.feed(c.OperatorCancelled()) == [] and t.core.phase is c.Phase.DONE
