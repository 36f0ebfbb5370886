"""PAN rules: Luhn (ISO/IEC 7812-1 annex B) and the one masking format used everywhere (first 6, last 4)."""
from __future__ import annotations

from terminal.card.errors import CardDataError

PAN_MIN, PAN_MAX = 12, 19


def luhn_ok(pan: str) -> bool:
    """True when the check digit is right. Digits only; callers validate the alphabet first."""
    total = 0
    for i, ch in enumerate(reversed(pan)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def validate_pan(pan: str, where: str = "PAN") -> str:
    if not pan.isascii() or not pan.isdigit():
        raise CardDataError(where, "PAN holds a character that is not a digit")
    if not PAN_MIN <= len(pan) <= PAN_MAX:
        raise CardDataError(where, f"PAN has {len(pan)} digits, expected {PAN_MIN} to {PAN_MAX}")
    if not luhn_ok(pan):
        raise CardDataError(where, "PAN fails the Luhn check (misread or invalid card number)")
    return pan


def mask_pan(pan: str) -> str:
    """First 6 and last 4 shown (PCI DSS 3.4.1); a PAN too short to mask that way is masked entirely."""
    if len(pan) < 11:
        return "*" * len(pan)
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]
