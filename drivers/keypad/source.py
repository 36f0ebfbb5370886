"""The one shape every key source has, so the run loop does not care where keys come from."""
from __future__ import annotations

from typing import Protocol


class KeySource(Protocol):
    def read(self, timeout: float | None) -> str | None:
        """The next key name (one of `keys.KEYS`, or `keys.QUIT`), or None when no key came within `timeout`
        seconds (None: wait as long as it takes). A finite source raises KeySourceExhausted at its end."""
        ...

    def close(self) -> None:
        """Give the device back (ungrab, restore the tty). Safe to call twice."""
        ...
