"""The operator keypad: a sans-I/O state machine (one transition table) and the loops that drive it.

    fsm = KeypadFSM(KeypadSettings(max_amount=100000))
    out = fsm.handle("1", now=clock())       # -> Output(state, screen, effects)

See docs/keypad.md for the table, the guards and the SaleUI interface a sale uses to ask for a PIN or an
application choice.
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
from terminal.keypad.pinpad import PinPad
from terminal.keypad.sale_ui import KeypadUI, OperatorOutcome, ProcessSale, SaleUI
from terminal.keypad.screen import Screen, render_lines
from terminal.keypad.settings import KeypadSettings, settings_from_config
from terminal.keypad.states import State
from terminal.keypad.table import TRANSITIONS

__all__ = [
    "AmountConfirmed", "AppChosen", "AppsOffered", "AuditEntry", "Cancelled", "CardPresented", "Effect",
    "Input", "KeypadError", "KeypadFSM", "KeypadSequenceError", "KeypadSettings", "KeypadSettingsError",
    "KeypadUI", "OperatorOutcome", "OutcomeReceived", "Output", "PinComplete", "PinPad", "PinRequested",
    "ProcessSale", "RequestSent", "ReversalRequested", "SaleUI", "Screen", "State", "TRANSITIONS", "Tick",
    "render_lines", "settings_from_config",
]
