"""Typed errors of the keypad drivers. Each message names the device, token or map entry that was wrong."""
from __future__ import annotations

from drivers.errors import ReaderError


class KeypadError(Exception):
    """Any failure of a key source or its configuration."""


class KeyScriptError(KeypadError, ValueError):
    """A `--keys` script token that is not a key (a usage error: exit code 2)."""


class KeyMapError(KeypadError, ValueError):
    """A key map entry (from the [keypad] table of the config) that names no known key (exit code 2)."""


class KeySourceExhausted(KeypadError):
    """A finite source (a `--keys` script) ran out before the keypad reached what the caller waited for."""


class KeypadDeviceError(KeypadError, ReaderError):
    """The keypad device failed: missing node, no permission, grab refused, device unplugged (exit code 4)."""
