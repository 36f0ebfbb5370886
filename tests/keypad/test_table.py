"""Every (state, key or event) pair of the keypad table, each checked for its exact next state, screen and
effects. The states are reached by walking real inputs (tests/fixtures/keypad.py), never by poking fields."""
from __future__ import annotations

import pytest

from drivers.keypad.keys import DIGITS
from terminal.keypad.effects import AmountConfirmed, AppChosen, Cancelled, PinComplete, ReversalRequested, RiskAnswered
from terminal.keypad.errors import KeypadSequenceError
from terminal.keypad.fsm import KeypadFSM
from terminal.keypad.inputs import (
    AppsOffered,
    CardPresented,
    Input,
    OutcomeReceived,
    PinRequested,
    RequestSent,
    RiskQuestion,
    Tick,
)
from terminal.keypad.screen import Screen
from terminal.keypad.states import State as S
from terminal.keypad.table import TRANSITIONS
from tests.fixtures.keypad import RecordingPinPad

INPUTS = {
    **{d: d for d in DIGITS},
    "CLEAR": "CLEAR", "CANCEL": "CANCEL", "ENTER": "ENTER", "F1": "F1", "F2": "F2", "F3": "F3", "F4": "F4",
    "tick": Tick(),
    "card": CardPresented(),
    "apps": AppsOffered(("MASTERCARD",)),
    "pin": PinRequested(RecordingPinPad()),
    "risk": RiskQuestion("SAME CARD, SAME AMOUNT", "APPROVED 10:02, STAN 000123"),
    "sent": RequestSent(),
    "outcome": OutcomeReceived("Declined: insufficient funds", False),
}

RAISES = "raises KeypadSequenceError"
EARLY = "Amount first, then the card"

IDLE = Screen("READY", "", "Key in the amount")
AE = Screen("ENTER AMOUNT", "CNY 1.23", "")
AC = Screen("CONFIRM AMOUNT", "CNY 1.23", "ENTER=OK  CLEAR=change")
WC = Screen("INSERT, TAP OR SWIPE", "CNY 1.23", "")
RC = Screen("READING CARD", "CNY 1.23", "Do not remove the card")
APP = Screen("SELECT APPLICATION", "1/2 VISA CREDIT", "ENTER=OK  F1/F2=scroll")
PIN = Screen("ENTER PIN", "**", "CNY 1.23")
PROC = Screen("PROCESSING", "CNY 1.23", "Please wait")
RES = Screen("APPROVED", "CNY 1.23", "Approved 123456")
CC = Screen("CANCEL SALE?", "CNY 1.23", "ENTER=yes  other key=no")
AB = Screen("CANCEL SALE? it will be reversed", "CNY 1.23", "ENTER=yes  other=no")
RISK = Screen("SAME CARD, SAME AMOUNT", "APPROVED 10:02, STAN 000123", "charge again? ENTER=yes other=no")
DECLINED = (S.RESULT, Screen("NOT APPROVED", "CNY 1.23", "Declined: insufficient funds"), ())


def same(state, screen):
    return (state, screen, ())


def with_message(screen: Screen, message: str) -> Screen:
    return Screen(screen.title, screen.value, message)


def digits(rule):
    return {d: rule(d) for d in DIGITS}


def fkeys(outcome):
    return {f: outcome for f in ("F1", "F2", "F3", "F4")}


def new_amount(d):
    return (S.AMOUNT_ENTRY, Screen("ENTER AMOUNT", f"CNY 0.0{d}", ""), ())


# EXPECTED[state][input name] = (next state, screen, effects) or RAISES
EXPECTED = {
    S.IDLE: {
        **digits(new_amount),
        "CLEAR": same(S.IDLE, IDLE), "CANCEL": same(S.IDLE, IDLE),
        "ENTER": new_amount(0), **fkeys(same(S.IDLE, IDLE)), "F1": new_amount(0),
        "tick": same(S.IDLE, IDLE), "card": same(S.IDLE, with_message(IDLE, EARLY)),
        "apps": RAISES, "risk": RAISES, "pin": RAISES, "sent": RAISES,
        "outcome": same(S.IDLE, with_message(IDLE, "Declined: insufficient funds")),
    },
    S.AMOUNT_ENTRY: {
        **digits(lambda d: same(S.AMOUNT_ENTRY, Screen("ENTER AMOUNT", f"CNY 12.3{d}", ""))),
        "CLEAR": same(S.AMOUNT_ENTRY, Screen("ENTER AMOUNT", "CNY 0.12", "")),
        "CANCEL": same(S.CANCEL_CONFIRM, CC), "ENTER": same(S.AMOUNT_CONFIRM, AC),
        **fkeys(same(S.AMOUNT_ENTRY, AE)), "tick": same(S.AMOUNT_ENTRY, AE),
        "card": same(S.AMOUNT_ENTRY, with_message(AE, EARLY)),
        "apps": RAISES, "risk": RAISES, "pin": RAISES, "sent": RAISES, "outcome": RAISES,
    },
    S.AMOUNT_CONFIRM: {
        **digits(lambda d: same(S.AMOUNT_CONFIRM, AC)),
        "CLEAR": same(S.AMOUNT_ENTRY, AE), "CANCEL": same(S.CANCEL_CONFIRM, CC),
        "ENTER": (S.WAIT_CARD, WC, (AmountConfirmed(123),)),
        **fkeys(same(S.AMOUNT_CONFIRM, AC)), "tick": same(S.AMOUNT_CONFIRM, AC),
        "card": same(S.AMOUNT_CONFIRM, with_message(AC, EARLY)),
        "apps": RAISES, "risk": RAISES, "pin": RAISES, "sent": RAISES, "outcome": RAISES,
    },
    S.WAIT_CARD: {
        **digits(lambda d: same(S.WAIT_CARD, WC)),
        "CLEAR": same(S.WAIT_CARD, WC), "CANCEL": same(S.CANCEL_CONFIRM, CC), "ENTER": same(S.WAIT_CARD, WC),
        **fkeys(same(S.WAIT_CARD, WC)), "tick": same(S.WAIT_CARD, WC),
        "card": same(S.READING_CARD, RC),
        "apps": same(S.APP_CHOICE, Screen("SELECT APPLICATION", "1/1 MASTERCARD", "ENTER=OK  F1/F2=scroll")),
        "risk": same(S.RISK_CONFIRM, RISK), "pin": same(S.PIN_ENTRY, Screen("ENTER PIN", "", "CNY 1.23")),
        "sent": same(S.PROCESSING, PROC), "outcome": DECLINED,
    },
    S.READING_CARD: {
        **digits(lambda d: same(S.READING_CARD, RC)),
        "CLEAR": same(S.READING_CARD, RC), "CANCEL": same(S.CANCEL_CONFIRM, CC),
        "ENTER": same(S.READING_CARD, RC), **fkeys(same(S.READING_CARD, RC)), "tick": same(S.READING_CARD, RC),
        "card": same(S.READING_CARD, RC),
        "apps": same(S.APP_CHOICE, Screen("SELECT APPLICATION", "1/1 MASTERCARD", "ENTER=OK  F1/F2=scroll")),
        "risk": same(S.RISK_CONFIRM, RISK), "pin": same(S.PIN_ENTRY, Screen("ENTER PIN", "", "CNY 1.23")),
        "sent": same(S.PROCESSING, PROC), "outcome": DECLINED,
    },
    S.APP_CHOICE: {
        **digits(lambda d: same(S.APP_CHOICE, with_message(APP, "Choose 1-2"))),
        "1": (S.READING_CARD, RC, (AppChosen(0, "VISA CREDIT"),)),
        "2": (S.READING_CARD, RC, (AppChosen(1, "VISA DEBIT"),)),
        "CLEAR": same(S.APP_CHOICE, APP),
        "CANCEL": same(S.CANCEL_CONFIRM, Screen("CANCEL SALE?", "1/2 VISA CREDIT", "ENTER=yes  other key=no")),
        "ENTER": (S.READING_CARD, RC, (AppChosen(0, "VISA CREDIT"),)),
        "F1": same(S.APP_CHOICE, Screen("SELECT APPLICATION", "2/2 VISA DEBIT", "ENTER=OK  F1/F2=scroll")),
        "F2": same(S.APP_CHOICE, Screen("SELECT APPLICATION", "2/2 VISA DEBIT", "ENTER=OK  F1/F2=scroll")),
        "F3": same(S.APP_CHOICE, APP), "F4": same(S.APP_CHOICE, APP),
        "tick": same(S.APP_CHOICE, APP), "card": same(S.APP_CHOICE, APP),
        "apps": RAISES, "risk": RAISES, "pin": RAISES, "sent": RAISES, "outcome": DECLINED,
    },
    S.PIN_ENTRY: {
        **digits(lambda d: same(S.PIN_ENTRY, Screen("ENTER PIN", "***", "CNY 1.23"))),
        "CLEAR": same(S.PIN_ENTRY, Screen("ENTER PIN", "*", "CNY 1.23")),
        "CANCEL": same(S.CANCEL_CONFIRM, Screen("CANCEL SALE?", "**", "ENTER=yes  other key=no")),
        "ENTER": same(S.PIN_ENTRY, with_message(PIN, "PIN needs 4 to 12 digits")),
        **fkeys(same(S.PIN_ENTRY, PIN)), "tick": same(S.PIN_ENTRY, PIN), "card": same(S.PIN_ENTRY, PIN),
        "apps": RAISES, "risk": RAISES, "pin": RAISES, "sent": RAISES, "outcome": DECLINED,
    },
    S.RISK_CONFIRM: {   # ENTER is yes; any other key no (the default); silence waits
        **digits(lambda d: (S.READING_CARD, RC, (RiskAnswered(False),))),
        "CLEAR": (S.READING_CARD, RC, (RiskAnswered(False),)), "CANCEL": (S.READING_CARD, RC, (RiskAnswered(False),)),
        "ENTER": (S.READING_CARD, RC, (RiskAnswered(True),)),
        **fkeys((S.READING_CARD, RC, (RiskAnswered(False),))),
        "tick": same(S.RISK_CONFIRM, RISK), "card": same(S.RISK_CONFIRM, RISK),
        "apps": RAISES, "pin": RAISES, "risk": RAISES, "sent": RAISES, "outcome": DECLINED,
    },
    S.PROCESSING: {
        **digits(lambda d: same(S.PROCESSING, PROC)),
        "CLEAR": same(S.PROCESSING, PROC), "CANCEL": same(S.ABORT_CONFIRM, AB), "ENTER": same(S.PROCESSING, PROC),
        **fkeys(same(S.PROCESSING, PROC)), "tick": same(S.PROCESSING, PROC), "card": same(S.PROCESSING, PROC),
        "apps": RAISES, "risk": RAISES, "pin": RAISES, "sent": same(S.PROCESSING, PROC), "outcome": DECLINED,
    },
    S.RESULT: {
        **digits(new_amount),
        "CLEAR": same(S.RESULT, RES), "CANCEL": same(S.IDLE, IDLE), "ENTER": same(S.IDLE, IDLE),
        **fkeys(same(S.RESULT, RES)), "F1": new_amount(0), "tick": same(S.RESULT, RES),
        "card": same(S.RESULT, with_message(RES, EARLY)),
        "apps": RAISES, "risk": RAISES, "pin": RAISES, "sent": RAISES, "outcome": RAISES,
    },
    S.CANCEL_CONFIRM: {  # opened from amount entry at 1.23: any other key restores exactly that
        **digits(lambda d: same(S.AMOUNT_ENTRY, AE)),
        "CLEAR": same(S.AMOUNT_ENTRY, AE), "CANCEL": same(S.AMOUNT_ENTRY, AE),
        "ENTER": (S.IDLE, with_message(IDLE, "Sale cancelled"), (Cancelled("amount entry"),)),
        **fkeys(same(S.AMOUNT_ENTRY, AE)),
        "tick": same(S.CANCEL_CONFIRM, CC),  # 1 s of silence: still asking
        "card": same(S.AMOUNT_ENTRY, with_message(AE, EARLY)),  # dismissed, then amount entry's answer
        "apps": RAISES, "risk": RAISES, "pin": RAISES, "sent": RAISES, "outcome": RAISES,
    },
    S.ABORT_CONFIRM: {
        **digits(lambda d: same(S.PROCESSING, PROC)),
        "CLEAR": same(S.PROCESSING, PROC), "CANCEL": same(S.PROCESSING, PROC),
        "ENTER": (S.PROCESSING, with_message(PROC, "Reversal requested; waiting"), (ReversalRequested(),)),
        **fkeys(same(S.PROCESSING, PROC)),
        "tick": same(S.ABORT_CONFIRM, AB), "card": same(S.ABORT_CONFIRM, AB),
        "apps": RAISES, "risk": RAISES, "pin": RAISES, "sent": same(S.ABORT_CONFIRM, AB), "outcome": DECLINED,
    },
}

PAIRS = [(state, name) for state in S for name in INPUTS]


def test_the_table_defines_every_state_and_input_and_names_real_actions():
    assert set(TRANSITIONS) == set(S)
    for state, row in TRANSITIONS.items():
        assert set(row) == set(Input), state
        for transition in row.values():
            assert transition.action == "ignore" or hasattr(
                KeypadFSM, f"_act_{transition.action}"
            ), transition.action


def test_expectations_cover_every_pair():
    assert {(s, n) for s in EXPECTED for n in EXPECTED[s]} == set(PAIRS)


@pytest.mark.parametrize(("state", "name"), PAIRS, ids=[f"{s.name}-{n}" for s, n in PAIRS])
def test_pair(state, name, keypad_in):
    fsm, _, now = keypad_in(state)
    expected = EXPECTED[state][name]
    if expected == RAISES:
        with pytest.raises(KeypadSequenceError):
            fsm.handle(INPUTS[name], now + 1.0)
        return
    out = fsm.handle(INPUTS[name], now + 1.0)
    assert (out.state, out.screen, out.effects) == expected
    assert fsm.state is out.state and fsm.screen == out.screen


def test_pin_digits_reach_the_pin_pad_and_only_their_count_stays(keypad_in):
    fsm, pinpad, now = keypad_in(S.PIN_ENTRY)
    for i, key in enumerate(["9", "1", "CLEAR", "5", "ENTER"], start=1):
        out = fsm.handle(key, now + i)
    assert pinpad.digits == ["4", "7", "9", "5"] and pinpad.completed
    assert out.effects == (PinComplete(4),) and out.state is S.READING_CARD
    assert fsm.pin_digits == 0


def test_an_outcome_during_pin_entry_wipes_the_pin_pad(keypad_in):
    fsm, pinpad, now = keypad_in(S.PIN_ENTRY)
    fsm.handle(OutcomeReceived("Card removed", False), now + 1)
    assert pinpad.abandoned and pinpad.digits == []
