"""Key maps: which device key is which keypad key. Data, with defaults, overridable from the config.

The config's [keypad] table may hold two sub-tables, each merged over the defaults below:

    [keypad.evdev_map]        # Linux key code name (or decimal code) -> keypad key
    KEY_KPDOT = "CLEAR"
    "98" = "CANCEL"           # KEY_KPSLASH by number

    [keypad.tty_map]          # tty key name (see TTY_KEY_NAMES) or a single character -> keypad key
    c = "CANCEL"
    DELETE = "CLEAR"

A value is a keypad key name (drivers.keypad.keys.KEYS), QUIT, or "NONE" to make the key do nothing.
"""
from __future__ import annotations

from collections.abc import Mapping

from drivers.keypad.errors import KeyMapError
from drivers.keypad.keys import KEYS, QUIT

# Linux key codes (include/uapi/linux/input-event-codes.h), only those a POS keypad or a PC keyboard used as
# one is likely to send. Numbers are the kernel's ABI and never change.
LINUX_KEYCODES: dict[str, int] = {
    "KEY_ESC": 1,
    **{f"KEY_{d}": 1 + d for d in range(1, 10)},  # KEY_1 = 2 ... KEY_9 = 10
    "KEY_0": 11,
    "KEY_BACKSPACE": 14,
    "KEY_ENTER": 28,
    "KEY_C": 46,
    "KEY_X": 45,
    "KEY_KPASTERISK": 55,
    "KEY_F1": 59,
    "KEY_F2": 60,
    "KEY_F3": 61,
    "KEY_F4": 62,
    "KEY_NUMLOCK": 69,
    "KEY_KP7": 71,
    "KEY_KP8": 72,
    "KEY_KP9": 73,
    "KEY_KPMINUS": 74,
    "KEY_KP4": 75,
    "KEY_KP5": 76,
    "KEY_KP6": 77,
    "KEY_KPPLUS": 78,
    "KEY_KP1": 79,
    "KEY_KP2": 80,
    "KEY_KP3": 81,
    "KEY_KP0": 82,
    "KEY_KPDOT": 83,
    "KEY_KPENTER": 96,
    "KEY_KPSLASH": 98,
    "KEY_DELETE": 111,
    "KEY_CANCEL": 223,
    "KEY_OK": 0x160,
    "KEY_CLEAR": 0x163,
    "KEY_NUMERIC_0": 0x200,
    **{f"KEY_NUMERIC_{d}": 0x200 + d for d in range(1, 10)},
}

DEFAULT_EVDEV_MAP: dict[int, str] = {
    **{LINUX_KEYCODES[f"KEY_{d}"]: str(d) for d in range(10)},
    **{LINUX_KEYCODES[f"KEY_KP{d}"]: str(d) for d in range(10)},
    **{LINUX_KEYCODES[f"KEY_NUMERIC_{d}"]: str(d) for d in range(10)},
    LINUX_KEYCODES["KEY_BACKSPACE"]: "CLEAR",
    LINUX_KEYCODES["KEY_CLEAR"]: "CLEAR",
    LINUX_KEYCODES["KEY_ESC"]: "CANCEL",
    LINUX_KEYCODES["KEY_CANCEL"]: "CANCEL",
    LINUX_KEYCODES["KEY_ENTER"]: "ENTER",
    LINUX_KEYCODES["KEY_KPENTER"]: "ENTER",
    LINUX_KEYCODES["KEY_OK"]: "ENTER",
    LINUX_KEYCODES["KEY_F1"]: "F1",
    LINUX_KEYCODES["KEY_F2"]: "F2",
    LINUX_KEYCODES["KEY_F3"]: "F3",
    LINUX_KEYCODES["KEY_F4"]: "F4",
}
"""Linux key code -> keypad key. Codes not in the map are dropped by the evdev source."""

TTY_KEY_NAMES: tuple[str, ...] = ("ESC", "BACKSPACE", "ENTER", "DELETE", "CTRL-C", "F1", "F2", "F3", "F4")
"""Names the tty decoder gives to keys that are not a printable character."""

DEFAULT_TTY_MAP: dict[str, str] = {
    **{str(d): str(d) for d in range(10)},
    "BACKSPACE": "CLEAR",
    "ESC": "CANCEL",
    "ENTER": "ENTER",
    "F1": "F1",
    "F2": "F2",
    "F3": "F3",
    "F4": "F4",
    "CTRL-C": QUIT,
}
"""tty key name or character -> keypad key. Characters not in the map are dropped by the tty source."""

_NONE = "NONE"


def _target(where: str, name: str, value: object) -> str | None:
    if not isinstance(value, str) or (value not in KEYS and value not in (QUIT, _NONE)):
        raise KeyMapError(
            f"[keypad.{where}] {name!r} = {value!r}: expected one of {', '.join(KEYS)}, {QUIT} or {_NONE}"
        )
    return None if value == _NONE else value


def _evdev_code(name: str) -> int:
    if name in LINUX_KEYCODES:
        return LINUX_KEYCODES[name]
    if name.isdecimal() and 0 < int(name) < 0x300:
        return int(name)
    raise KeyMapError(
        f"[keypad.evdev_map] {name!r}: expected a Linux key code name such as KEY_KP5 or a decimal code 1-767"
    )


def evdev_map_from(table: Mapping[str, object] | None) -> dict[int, str]:
    """DEFAULT_EVDEV_MAP with the config's [keypad.evdev_map] entries applied."""
    result = dict(DEFAULT_EVDEV_MAP)
    for name, value in (table or {}).items():
        code = _evdev_code(str(name))
        target = _target("evdev_map", str(name), value)
        if target is None:
            result.pop(code, None)
        else:
            result[code] = target
    return result


def tty_map_from(table: Mapping[str, object] | None) -> dict[str, str]:
    """DEFAULT_TTY_MAP with the config's [keypad.tty_map] entries applied."""
    result = dict(DEFAULT_TTY_MAP)
    for name, value in (table or {}).items():
        name = str(name)
        if name not in TTY_KEY_NAMES and not (len(name) == 1 and name.isprintable()):
            raise KeyMapError(
                f"[keypad.tty_map] {name!r}: expected one printable character or one of {', '.join(TTY_KEY_NAMES)}"
            )
        target = _target("tty_map", name, value)
        if target is None:
            result.pop(name, None)
        else:
            result[name] = target
    return result
