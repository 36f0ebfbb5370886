"""Test magstripe data for the serial reader emulator and the demo. TEST DATA ONLY: public test card
numbers, never a real card. (The virtual EMV card profiles in drivers/emulated/vcard/ may later supply these.)

Names follow the chip card profiles (visa, mastercard, unionpay: service code 201, chip-first); `magstripe`
is the same Visa test number with service code 101 (no chip). Expiry dates are far in the future (2030) so tests do not start failing with the calendar; 'expired' is the
one card meant to be expired.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestCard:
    pan: str
    cardholder: str
    expiry: str          # YYMM
    service_code: str    # 2xx/6xx: chip card (chip-first); 1xx: magstripe only
    discretionary: str = "0000000000"

    def track1(self) -> str:
        return f"%B{self.pan}^{self.cardholder}^{self.expiry}{self.service_code}{self.discretionary}?"

    def track2(self) -> str:
        return f";{self.pan}={self.expiry}{self.service_code}{self.discretionary[:8]}?"

    __test__ = False  # not a pytest test class


TEST_CARDS: dict[str, TestCard] = {
    "visa": TestCard("4761739001010010", "VISA/TEST CARD", "3012", "201"),
    "mastercard": TestCard("5413330089010434", "MC/TEST CARD", "3012", "201"),
    "unionpay": TestCard("6210947000000021", "CUP/TEST CARD", "3012", "201"),
    "magstripe": TestCard("4761739001010010", "MAGSTRIPE/TEST CARD", "3012", "101"),
    "expired": TestCard("4761739001010010", "VISA/TEST CARD", "2001", "101"),
}


def test_card(name: str) -> TestCard:
    try:
        return TEST_CARDS[name]
    except KeyError:
        raise ValueError(f"test card {name!r}: expected one of {', '.join(TEST_CARDS)}") from None


test_card.__test__ = False  # type: ignore[attr-defined]
