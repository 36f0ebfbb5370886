"""The PIN pad seam: where PIN digits go instead of into the keypad state machine.

On real hardware PIN entry belongs to a PCI PTS PIN pad that returns an enciphered PIN block (or does the
offline VERIFY itself); the keypad FSM only drives its prompts. Here the FSM forwards each digit, each CLEAR
and the final ENTER to a `PinDigits` and keeps nothing but the count of digits, so no PIN digit can reach the
audit trail or a log through the keypad.
"""
from __future__ import annotations

from typing import Protocol


class PinDigits(Protocol):
    def add_digit(self, digit: str) -> None:
        """One more PIN digit ('0'-'9')."""
        ...

    def remove_digit(self) -> None:
        """Forget the last digit (the operator pressed CLEAR)."""
        ...

    def complete(self) -> None:
        """The PIN is entered (4-12 digits): the pad may now build its PIN block."""
        ...

    def abandon(self) -> None:
        """The sale was cancelled during PIN entry: wipe what was typed."""
        ...


class TypedDigits:
    """A PinDigits that keeps the digits in memory for one use: `take()` hands them over once (None when the
    entry was not completed) and wipes them; so does `abandon`. The terminal's own keypad PIN pad and the
    supervisor's PIN entry are both this."""

    def __init__(self) -> None:
        self._digits: list[str] = []
        self._complete = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(****)"

    def add_digit(self, digit: str) -> None:
        self._digits.append(digit)

    def remove_digit(self) -> None:
        if self._digits:
            self._digits.pop()

    def complete(self) -> None:
        self._complete = True

    def abandon(self) -> None:
        self._digits, self._complete = [], False

    def take(self) -> str | None:
        typed = "".join(self._digits) if self._complete else None
        self.abandon()
        return typed
