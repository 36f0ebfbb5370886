"""The issuer's check of an online PIN (field 52): ISO 9564 format 0 under the terminal's TDES PIN key, compared
with the test card's PIN. TEST DATA ONLY: a real issuer verifies PINs inside an HSM, never in the clear."""
from __future__ import annotations

from functools import lru_cache

from drivers.emvspec.crypto import tdes_decrypt


def pin_from_format0(block: bytes, pan: str, pin_key: bytes) -> str | None:
    """The PIN in an enciphered format 0 block, or None when the block is not a well-formed format 0."""
    clear = tdes_decrypt(pin_key, block)
    pan_field = bytes.fromhex("0000" + pan[:-1][-12:].rjust(12, "0"))
    pin_field = bytes(a ^ b for a, b in zip(clear, pan_field)).hex().upper()
    length = int(pin_field[1], 16)
    digits, fill = pin_field[2:2 + length], pin_field[2 + length:]
    if pin_field[0] != "0" or not 4 <= length <= 12 or not digits.isdigit() or set(fill) - {"F"}:
        return None
    return digits


@lru_cache(maxsize=1)
def _issuer_pins() -> dict[str, str]:
    from drivers.emulated.vcard import card_image, profile_names  # test data lives with the virtual cards
    return {card_image(n).pan: card_image(n).pin for n in profile_names()}


def online_pin_ok(block: bytes, pan: str, pin_key: bytes) -> bool | None:
    """True/False for a card the issuer knows; None for a card it has no PIN for (not checked)."""
    expected = _issuer_pins().get(pan)
    if expected is None:
        return None
    return pin_from_format0(block, pan, pin_key) == expected
