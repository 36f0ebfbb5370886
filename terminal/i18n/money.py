"""Currencies and amounts as people read them: one ISO 4217 table for the screen, the receipt and the journal's
listings, so a terminal never shows 'KRW 1000' on the screen and '410 10.00' on the slip.

Minor units are what the wire carries (field 4); the exponent says where the decimal point goes.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Currency:
    numeric: str
    alpha: str
    exponent: int


# ISO 4217: the currencies a terminal of this project is likely to be configured for. An unknown code is shown
# by its number with two decimals (the exponent of most currencies).
CURRENCIES: dict[str, Currency] = {
    c.numeric: c
    for c in (
        Currency("036", "AUD", 2),
        Currency("124", "CAD", 2),
        Currency("156", "CNY", 2),
        Currency("344", "HKD", 2),
        Currency("356", "INR", 2),
        Currency("392", "JPY", 0),
        Currency("410", "KRW", 0),
        Currency("702", "SGD", 2),
        Currency("756", "CHF", 2),
        Currency("826", "GBP", 2),
        Currency("840", "USD", 2),
        Currency("978", "EUR", 2),
    )
}


class CurrencyError(ValueError):
    """Not a 3-digit ISO 4217 numeric code."""


def currency_of(numeric: str) -> Currency:
    if not (len(numeric) == 3 and numeric.isdecimal()):
        raise CurrencyError(f"[terminal] currency = {numeric!r}: expected a 3-digit ISO 4217 numeric code")
    return CURRENCIES.get(numeric, Currency(numeric, numeric, 2))


def format_amount(minor: int, currency: Currency | str) -> str:
    """'CNY 1.23' for 123 minor units; 'KRW 1000' where the currency has no minor unit."""
    if isinstance(currency, str):
        currency = currency_of(currency)
    if currency.exponent == 0:
        return f"{currency.alpha} {minor}"
    major, fraction = divmod(minor, 10**currency.exponent)
    return f"{currency.alpha} {major}.{fraction:0{currency.exponent}d}"
