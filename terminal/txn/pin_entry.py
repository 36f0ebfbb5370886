"""PIN entry on the terminal's own keypad, for readers without a PIN pad of their own.

The keypad state machine types each digit into a `KeypadPinPad` (it keeps only the count); once complete the
kernel asks the pad for the block its PinPrompt wants, exactly as it would ask a PCI PTS PIN pad. The digits
live only in this object, for one prompt: every block wipes them, and so does `abandon`. On real hardware
the PIN belongs to a certified PIN pad: this exists for development readers and for the emulated cardholder.
"""
from __future__ import annotations

from terminal.emv.pin import EmulatedPinPad, PinEncryptor
from terminal.keypad.pinpad import TypedDigits


class KeypadPinPad(TypedDigits):
    """keypad.pinpad.PinDigits on one side, emv.pin.PinPad on the other."""

    def __init__(self, encryptor: PinEncryptor) -> None:
        super().__init__()
        self._encryptor = encryptor

    # the kernel's side: one block per PIN typed, then the digits are gone
    def _once(self) -> EmulatedPinPad:
        return EmulatedPinPad(self.take(), self._encryptor)

    def plaintext_offline_pin(self, tries_left: int | None) -> bytes | None:
        return self._once().plaintext_offline_pin(tries_left)

    def enciphered_offline_pin(self, tries_left, modulus, exponent, challenge) -> bytes | None:
        return self._once().enciphered_offline_pin(tries_left, modulus, exponent, challenge)

    def online_pin(self, pan: str) -> bytes | None:
        return self._once().online_pin(pan)
