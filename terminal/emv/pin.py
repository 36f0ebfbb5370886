"""PIN entry as an interface (DESIGN.md, security): on real hardware a PCI PTS PIN pad builds the blocks; the kernel
only receives what goes to the card (VERIFY data) or to the host (field 52). Digits never reach the kernel's
state, its logs or its outcome. `EmulatedPinPad` exists for tests and the demo.

Blocks: ISO 9564-1 format 2 (offline PIN, EMV Book 3 6.5.12), format 0 (TDES) and format 4 (AES) for online PIN;
offline PIN encipherment per EMV Book 2 section 7.2."""
from __future__ import annotations

import os
from typing import Protocol

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from drivers.emvspec.crypto import rsa_raw, tdes_encrypt


class PinPad(Protocol):
    def plaintext_offline_pin(self, tries_left: int | None) -> bytes | None:
        """ISO 9564 format 2 block for VERIFY P2=80, or None when the cardholder did not enter a PIN."""
        ...

    def enciphered_offline_pin(self, tries_left: int | None, modulus: bytes, exponent: bytes,
                               challenge: bytes) -> bytes | None:
        """The RSA-enciphered PIN data for VERIFY P2=88 (Book 2 7.2), or None."""
        ...

    def online_pin(self, pan: str) -> bytes | None:
        """The enciphered PIN block for field 52, or None."""
        ...


class PinEncryptor(Protocol):
    """Where the PIN key lives (an HSM-backed PIN pad in production)."""

    def encrypt(self, pin: str, pan: str) -> bytes: ...


def format2_block(pin: str) -> bytes:
    """ISO 9564 format 2: '2', length, digits, 'F' fill: 8 bytes."""
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        raise ValueError("PIN must be 4-12 digits")
    return bytes.fromhex((f"2{len(pin):X}{pin}").ljust(16, "F"))


def format0_block(pin: str, pan: str) -> bytes:
    """ISO 9564 format 0 clear block: PIN field XOR the 12 PAN digits left of the check digit."""
    pin_field = bytes.fromhex(f"0{len(pin):X}{pin}".ljust(16, "F"))
    pan_field = bytes.fromhex("0000" + pan[:-1][-12:].rjust(12, "0"))
    return bytes(a ^ b for a, b in zip(pin_field, pan_field))


class Format0TdesKey:
    """ISO 9564 format 0 under a double-length TDES PIN key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def encrypt(self, pin: str, pan: str) -> bytes:
        return tdes_encrypt(self._key, format0_block(pin, pan))


class Format4AesKey:
    """ISO 9564 format 4 under an AES PIN key: E(K, E(K, PIN field) xor PAN field)."""

    def __init__(self, key: bytes, random_bytes=os.urandom) -> None:
        self._key = key
        self._random = random_bytes

    def encrypt(self, pin: str, pan: str) -> bytes:
        pin_field = bytes.fromhex(f"4{len(pin):X}{pin}".ljust(16, "A")) + self._random(8)
        m = max(len(pan) - 12, 0)
        pan_field = bytes.fromhex(f"{m:X}{pan.rjust(12, '0')}".ljust(32, "0"))
        enc = Cipher(algorithms.AES(self._key), modes.ECB()).encryptor()
        inner = enc.update(pin_field)
        return enc.update(bytes(a ^ b for a, b in zip(inner, pan_field))) + enc.finalize()


def encipher_offline_pin(pin_block: bytes, modulus: bytes, exponent: bytes, challenge: bytes,
                         random_bytes=os.urandom) -> bytes:
    """Book 2 7.2: '7F' || PIN block || ICC unpredictable number || random pad, RSA with the public key."""
    pad = random_bytes(len(modulus) - 17)
    data = b"\x7f" + pin_block + challenge + pad
    if int.from_bytes(data, "big") >= int.from_bytes(modulus, "big"):
        data = b"\x7f" + pin_block + challenge + bytes(len(pad))  # keep below the modulus
    return rsa_raw(data, int.from_bytes(exponent, "big"), modulus)


class EmulatedPinPad:
    """The cardholder of tests and the demo: always types `pin` (or nothing when pin is None). Holds the PIN
    only in this object; the repr never shows it."""

    def __init__(self, pin: str | None, encryptor: PinEncryptor | None = None, wrong_first: int = 0) -> None:
        self._pin = pin
        self._encryptor = encryptor or Format0TdesKey(bytes.fromhex("0123456789ABCDEFFEDCBA9876543210"))
        self._wrong_first = wrong_first       # type a wrong PIN this many times first (PIN retry tests)
        self.prompts = 0

    def __repr__(self) -> str:
        return "EmulatedPinPad(pin=****)"

    def _next_pin(self) -> str | None:
        self.prompts += 1
        if self._pin is None:
            return None
        if self._wrong_first > 0:
            self._wrong_first -= 1
            return "0000" if self._pin != "0000" else "1111"
        return self._pin

    def plaintext_offline_pin(self, tries_left: int | None) -> bytes | None:
        pin = self._next_pin()
        return None if pin is None else format2_block(pin)

    def enciphered_offline_pin(self, tries_left, modulus, exponent, challenge):
        pin = self._next_pin()
        return None if pin is None else encipher_offline_pin(format2_block(pin), modulus, exponent, challenge)

    def online_pin(self, pan: str) -> bytes | None:
        pin = self._next_pin()
        return None if pin is None else self._encryptor.encrypt(pin, pan)
