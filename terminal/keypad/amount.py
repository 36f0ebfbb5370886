"""Amounts as the operator types them: implied decimals, the currency's exponent, the terminal's limits."""
from __future__ import annotations

from dataclasses import dataclass

from terminal.keypad.errors import KeypadSettingsError


@dataclass(frozen=True)
class Currency:
    numeric: str
    alpha: str
    exponent: int


# ISO 4217: the few currencies a demo or test terminal is likely to be configured for. Unknown codes are
# shown by number with two decimals (the exponent of most currencies).
CURRENCIES: dict[str, Currency] = {
    c.numeric: c
    for c in (
        Currency("156", "CNY", 2),
        Currency("344", "HKD", 2),
        Currency("392", "JPY", 0),
        Currency("410", "KRW", 0),
        Currency("702", "SGD", 2),
        Currency("756", "CHF", 2),
        Currency("826", "GBP", 2),
        Currency("840", "USD", 2),
        Currency("978", "EUR", 2),
    )
}


def currency_of(numeric: str) -> Currency:
    if not (len(numeric) == 3 and numeric.isdecimal()):
        raise KeypadSettingsError(f"[terminal] currency = {numeric!r}: expected a 3-digit ISO 4217 numeric code")
    return CURRENCIES.get(numeric, Currency(numeric, numeric, 2))


def format_amount(minor: int, currency: Currency) -> str:
    """'CNY 1.23' for 123 minor units; 'JPY 123' where the currency has no minor unit."""
    if currency.exponent == 0:
        return f"{currency.alpha} {minor}"
    major, fraction = divmod(minor, 10**currency.exponent)
    return f"{currency.alpha} {major}.{fraction:0{currency.exponent}d}"


def amount_refusal(minor: int, max_amount: int, currency: Currency) -> str | None:
    """The one line shown when an amount may not be used, or None when it may."""
    if minor <= 0:
        return "Amount must be above zero"
    if minor > max_amount:
        return f"Max {format_amount(max_amount, currency)}"
    return None
