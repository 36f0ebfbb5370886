"""The keypad's states, in the order a sale passes through them."""
from __future__ import annotations

from enum import Enum


class State(Enum):
    IDLE = "idle"
    AMOUNT_ENTRY = "amount entry"
    AMOUNT_CONFIRM = "amount confirmation"
    WAIT_CARD = "waiting for card"
    READING_CARD = "reading card"
    APP_CHOICE = "application choice"
    PIN_ENTRY = "PIN entry"
    RISK_CONFIRM = "risk question"
    PROCESSING = "processing"
    RESULT = "result"
    CANCEL_CONFIRM = "cancel confirmation"
    ABORT_CONFIRM = "abort confirmation"


CONFIRMATIONS = (State.CANCEL_CONFIRM, State.ABORT_CONFIRM)
"""States that interrupt another one and go back to it, input untouched, unless ENTER confirms."""
