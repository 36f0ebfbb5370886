"""The names of the operator keypad's keys: the only vocabulary a key source may yield."""
from __future__ import annotations

DIGITS: tuple[str, ...] = tuple("0123456789")
FUNCTION_KEYS: tuple[str, ...] = ("F1", "F2", "F3", "F4")
CONTROL_KEYS: tuple[str, ...] = ("CLEAR", "CANCEL", "ENTER")

KEYS: tuple[str, ...] = DIGITS + CONTROL_KEYS + FUNCTION_KEYS
"""Every key a key source may yield to the keypad state machine."""

QUIT = "QUIT"
"""Not a keypad key: the person at a tty asked to leave `posterm run` (Ctrl-C in raw mode). Run loops stop."""


def is_key(name: str) -> bool:
    return name in KEYS
