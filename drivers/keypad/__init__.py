"""Key sources for the operator keypad: Linux input events (evdev), a tty in raw mode, a `--keys` script.

Every source yields keypad key names (`keys.KEYS`) and nothing else; what a key means is the business of
terminal/keypad. Contact-bounce filtering is not done here: it lives once, in the keypad state machine.
"""
from drivers.keypad.errors import (
    KeyMapError,
    KeypadDeviceError,
    KeypadError,
    KeyScriptError,
    KeySourceExhausted,
)
from drivers.keypad.keys import KEYS, QUIT
from drivers.keypad.source import KeySource

__all__ = [
    "KEYS",
    "QUIT",
    "KeyMapError",
    "KeySource",
    "KeySourceExhausted",
    "KeyScriptError",
    "KeypadDeviceError",
    "KeypadError",
]
