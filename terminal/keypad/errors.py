"""Typed errors of the keypad layer."""
from __future__ import annotations


class KeypadError(Exception):
    """Any misuse of the keypad state machine or its settings."""


class KeypadSequenceError(KeypadError):
    """The transaction engine reported an event the keypad cannot be in the middle of (e.g. 'request sent'
    while the operator is still typing the amount): a bug in the caller, never an operator mistake."""


class KeypadSettingsError(KeypadError, ValueError):
    """A keypad setting (config [keypad] or [limits]) out of range; the message names it (exit code 2)."""
