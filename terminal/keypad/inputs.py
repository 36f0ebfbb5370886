"""What the keypad state machine takes: a key name, or an event from the transaction engine or the clock.

Keys are plain strings (drivers.keypad.keys.KEYS). Events are small dataclasses. `input_of` sorts either into an
`Input`, the column of the transition table; the ten digits share one column because they differ only in
the digit they carry.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from drivers.keypad.keys import DIGITS, KEYS
from terminal.keypad.errors import KeypadError
from terminal.keypad.pinpad import PinDigits


class Input(Enum):
    DIGIT = "0-9"
    CLEAR = "CLEAR"
    CANCEL = "CANCEL"
    ENTER = "ENTER"
    F1 = "F1"
    F2 = "F2"
    F3 = "F3"
    F4 = "F4"
    TICK = "timeout tick"
    CARD_PRESENTED = "card presented"
    APPS_OFFERED = "app list offered"
    PIN_REQUESTED = "PIN requested"
    RISK_QUESTION = "risk question"
    REQUEST_SENT = "request sent"
    OUTCOME_RECEIVED = "outcome received"


KEY_INPUTS = (Input.DIGIT, Input.CLEAR, Input.CANCEL, Input.ENTER, Input.F1, Input.F2, Input.F3, Input.F4)


@dataclass(frozen=True)
class Tick:
    """Time passed with no key: lets a confirmation dismiss itself after its silence window."""


@dataclass(frozen=True)
class CardPresented:
    """The reader has a card (chip inserted, tapped or swiped); reading starts."""


@dataclass(frozen=True)
class AppsOffered:
    """The card offers more than one application; the operator (or cardholder) picks one."""

    labels: Sequence[str]


@dataclass(frozen=True)
class PinRequested:
    """The card wants a PIN. Digits go to `pinpad`; the state machine keeps only how many were typed."""

    pinpad: PinDigits = field(repr=False)
    title: str = "ENTER PIN"          # "SUPERVISOR PIN" when a risk rule asks for the supervisor
    why: str = ""                     # what the supervisor is asked for (the rule that fired); '': the amount


@dataclass(frozen=True)
class RiskQuestion:
    """A risk rule asks the operator before anything is sent (same card, same amount: charge again?).
    ENTER answers yes; any other key answers no, which is also what an unanswered question means."""

    title: str
    value: str


@dataclass(frozen=True)
class RequestSent:
    """The authorisation request has left the terminal: from now on a cancel can only become a reversal."""


@dataclass(frozen=True)
class OutcomeReceived:
    """The sale ended (approved, declined, reversed, card error ...). `message` is the operator's one line."""

    message: str
    approved: bool


Event = Tick | CardPresented | AppsOffered | PinRequested | RiskQuestion | RequestSent | OutcomeReceived

_EVENT_INPUT: dict[type, Input] = {
    Tick: Input.TICK,
    CardPresented: Input.CARD_PRESENTED,
    AppsOffered: Input.APPS_OFFERED,
    PinRequested: Input.PIN_REQUESTED,
    RiskQuestion: Input.RISK_QUESTION,
    RequestSent: Input.REQUEST_SENT,
    OutcomeReceived: Input.OUTCOME_RECEIVED,
}


def input_of(item: str | Event) -> Input:
    """The table column for a key name or an event; anything else is a KeypadError naming it."""
    if isinstance(item, str):
        if item in DIGITS:
            return Input.DIGIT
        if item in KEYS:
            return Input[item]
        raise KeypadError(f"keypad: {item!r} is not a key; expected one of {', '.join(KEYS)}")
    try:
        return _EVENT_INPUT[type(item)]
    except KeyError:
        raise KeypadError(f"keypad: {item!r} is neither a key nor a keypad event") from None
