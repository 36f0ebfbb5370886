"""The operator keypad: a sans-I/O state machine (one transition table) and the loops that drive it.

    fsm = KeypadFSM(KeypadSettings(max_amount=100000))
    out = fsm.handle("1", now=clock())       # -> Output(state, screen, effects)

See docs/keypad.md for the table and the guards; terminal/txn/operator.py drives it during a sale.
"""
from terminal.keypad.effects import AmountConfirmed, AppChosen, Cancelled, Effect, PinComplete, ReversalRequested
from terminal.keypad.errors import KeypadError, KeypadSequenceError, KeypadSettingsError
from terminal.keypad.fsm import AuditEntry, KeypadFSM, Output
from terminal.keypad.inputs import (
    AppsOffered,
    CardPresented,
    Input,
    OutcomeReceived,
    PinRequested,
    RequestSent,
    Tick,
)
from terminal.keypad.pinpad import PinDigits
from terminal.keypad.screen import Screen, render_lines
from terminal.keypad.settings import KeypadSettings, settings_from_config
from terminal.keypad.states import State
from terminal.keypad.table import TRANSITIONS

__all__ = [
    "AmountConfirmed", "AppChosen", "AppsOffered", "AuditEntry", "Cancelled", "CardPresented", "Effect",
    "Input", "KeypadError", "KeypadFSM", "KeypadSequenceError", "KeypadSettings", "KeypadSettingsError",
    "OutcomeReceived", "Output", "PinComplete", "PinDigits", "PinRequested",
    "RequestSent", "ReversalRequested", "Screen", "State", "TRANSITIONS", "Tick",
    "render_lines", "settings_from_config",
]
