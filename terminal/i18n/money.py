"""Currencies and amounts: one ISO 4217 table for amount parsing, field 4, the screen, the receipt and the
journal's listings, so a terminal never shows 'KRW 1000' on the screen and '410 10.00' on the slip.

The table is the `iso4217` data package (ISO's own list, maintained upstream), not a hand list; it loads on
first use, so `posterm --help` never pays for it. Minor units are what the wire carries (field 4); the
exponent says where the decimal point goes (2 for CNY, 0 for KRW and JPY, 3 for BHD).

An amount typed on the command line follows one grammar (parse_amount): ASCII digits, optionally a dot and
at most the currency's exponent of ASCII digits. No sign, exponent, underscore, space, other digits, NaN.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Currency:
    numeric: str   # "410"
    alpha: str     # "KRW"
    exponent: int  # digits after the decimal point


class CurrencyError(ValueError):
    """Not an ISO 4217 numeric code this terminal can charge in."""


class AmountError(ValueError):
    """An amount outside the grammar, or outside the terminal's limits: the message names the form expected."""


@lru_cache(maxsize=1)
def _table() -> dict[str, Currency]:
    from iso4217 import Currency as Iso
    out = {}
    for c in Iso:
        if c.exponent is None:  # funds, metals, SDR: nothing a terminal charges in
            continue
        out[f"{c.number:03d}"] = Currency(f"{c.number:03d}", c.code, int(c.exponent))
    return out


def currencies() -> dict[str, Currency]:
    """numeric code -> Currency, every ISO 4217 currency with a minor unit."""
    return dict(_table())


def __getattr__(name: str):
    if name == "CURRENCIES":  # the older spelling, loaded on first use
        return currencies()
    raise AttributeError(name)


def currency_of(numeric: str) -> Currency:
    """The currency of a 3-digit ISO 4217 numeric code; anything else is refused."""
    if not (isinstance(numeric, str) and len(numeric) == 3 and numeric.isascii() and numeric.isdigit()):
        raise CurrencyError(f"[terminal] currency = {numeric!r}: expected a 3-digit ISO 4217 numeric code")
    found = _table().get(numeric)
    if found is None:
        raise CurrencyError(f"[terminal] currency = {numeric!r}: not an ISO 4217 currency with a minor unit")
    return found


def _shown(currency: Currency | str) -> Currency:
    if isinstance(currency, Currency):
        return currency
    try:
        return currency_of(currency)
    except CurrencyError:  # an old row with a code ISO has since withdrawn: shown by its number
        return Currency(str(currency), str(currency), 2)


# Where the operator's language has its own sign for a currency: '¥12.34' on a Chinese screen. Other
# currencies keep their ISO code in every language ('USD 12.34'): a sign such as '$' names several currencies.
LOCAL_SIGNS = {"zh-CN": {"CNY": "¥"}}


def format_amount(minor: int, currency: Currency | str, lang: str | None = None) -> str:
    """'CNY 1.23' for 123 minor units in English, '¥1.23' in Chinese; 'KRW 1000' where the currency has no minor
    unit; 'BHD 1.234'. `lang` defaults to the operator's language (terminal/i18n/text.py)."""
    currency = _shown(currency)
    if lang is None:
        from terminal.i18n.text import language
        lang = language()
    sign = LOCAL_SIGNS.get(lang, {}).get(currency.alpha)
    prefix = sign if sign else f"{currency.alpha} "
    if currency.exponent == 0:
        return f"{prefix}{minor}"
    major, fraction = divmod(minor, 10**currency.exponent)
    return f"{prefix}{major}.{fraction:0{currency.exponent}d}"


@dataclass(frozen=True)
class Amount:
    """An amount inside an operator line (text.N_): formatted in the language the line is shown in."""
    minor: int
    currency: str

    def shown(self, lang: str) -> str:
        return format_amount(self.minor, self.currency, lang)

    def __str__(self) -> str:
        return format_amount(self.minor, self.currency)


_GRAMMAR = re.compile(r"([0-9]+)(?:\.([0-9]+))?\Z", re.ASCII)
MAX_DIGITS = 12  # field 4 is n12


def expected_form(currency: Currency) -> str:
    if currency.exponent == 0:
        return f"ASCII digits without decimals, e.g. 1000 ({currency.alpha} has no minor unit)"
    example = "12." + "345678"[:currency.exponent]
    return (f"ASCII digits with at most {currency.exponent} decimal(s) after a dot, e.g. {example}"
            f" ({currency.alpha})")


def parse_amount(text: str, currency: Currency | str, max_amount: int | None = None) -> int:
    """Minor units of an amount in major units ('12.34' CNY -> 1234, '1000' KRW -> 1000, '1.234' BHD -> 1234).

    Raises AmountError naming the form expected for anything outside the grammar, a zero amount, or one above
    `max_amount` minor units (or beyond the 12 digits of field 4)."""
    cur = currency if isinstance(currency, Currency) else currency_of(currency)
    m = _GRAMMAR.match(text) if isinstance(text, str) else None
    if m is None or len(m.group(2) or "") > cur.exponent:
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise AmountError(f"amount {shown!r}: expected {expected_form(cur)}")
    whole, fraction = m.group(1), (m.group(2) or "")
    digits = (whole + fraction.ljust(cur.exponent, "0")).lstrip("0")
    if len(digits) > MAX_DIGITS:
        raise AmountError(f"amount {text[:40]!r}: more than the {MAX_DIGITS} digits of minor units a request carries")
    minor = int(digits or "0")
    if minor <= 0:
        raise AmountError(f"amount {text!r}: must be more than zero")
    if max_amount is not None and minor > max_amount:
        raise AmountError(f"amount {text!r}: above the terminal's maximum of {format_amount(max_amount, cur)}")
    return minor
