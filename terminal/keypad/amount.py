"""Amounts as the operator types them: implied decimals, the currency's exponent, the terminal's limits."""
from __future__ import annotations

from terminal.i18n import money
from terminal.i18n.money import Amount, Currency, format_amount
from terminal.i18n.text import N_
from terminal.keypad.errors import KeypadSettingsError

__all__ = ["Currency", "currency_of", "format_amount", "amount_refusal"]


def currency_of(numeric: str) -> Currency:
    """The [terminal] currency for the keypad: a bad code is a keypad settings error (exit 2)."""
    try:
        return money.currency_of(numeric)
    except money.CurrencyError as e:
        raise KeypadSettingsError(str(e)) from None


def amount_refusal(minor: int, max_amount: int, currency: Currency) -> str | None:
    """The one line shown when an amount may not be used, or None when it may."""
    if minor <= 0:
        return N_("Amount must be above zero")
    if minor > max_amount:
        return N_("Max {amount}", amount=Amount(max_amount, currency.numeric))
    return None
