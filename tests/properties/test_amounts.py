"""The amount grammar of cli-contract.md against any string: ASCII digits, then at most the currency's ISO 4217
exponent of decimals after a dot. Everything else (exponent, underscore, sign, spaces, other digits, NaN, too
many decimals) is refused naming the form; everything inside is charged exactly what it says."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from terminal.i18n.money import AmountError, currency_of, format_amount, parse_amount

CODES = ["156", "410", "392", "048", "840"]  # CNY 2, KRW 0, JPY 0, BHD 3, USD 2
GRAMMAR = re.compile(r"[0-9]+(\.[0-9]+)?", re.ASCII)


def _expected(text: str, exponent: int) -> int | None:
    """The oracle: what the contract says the string means, or None when it must be refused."""
    if not GRAMMAR.fullmatch(text):
        return None
    whole, _, frac = text.partition(".")
    if len(frac) > exponent:
        return None
    minor = int(whole + frac.ljust(exponent, "0"))
    return minor if 0 < minor < 10**12 else None


amount_chars = st.sampled_from(list("0123456789.") + ["e", "E", "+", "-", "_", " ", "\u0663", "\uff11", "n", "N",
                                                       "a", "\t", "\n", ","])


@given(st.text(amount_chars, max_size=16), st.sampled_from(CODES))
@example("1e5", "156")
@example("1E+1", "156")
@example("1_000", "156")
@example("sNaN", "156")
@example("NaN", "410")
@example("1e999999999", "156")
@example("\u0661\u0662", "156")
@example(" 12", "156")
@example("12.34", "410")
@example("1.234", "048")
def test_any_string_is_refused_or_charged_exactly(text, code):
    cur = currency_of(code)
    want = _expected(text, cur.exponent)
    if want is None:
        with pytest.raises(AmountError, match=r"amount .*: (expected |must be more|more than the)"):
            parse_amount(text, cur)
    else:
        assert parse_amount(text, cur) == want


@given(st.integers(1, 10**12 - 1), st.sampled_from(CODES))
def test_what_the_screen_shows_parses_back_to_the_same_minor_units(minor, code):
    shown = format_amount(minor, code)
    alpha, number = shown.split(" ")
    assert alpha == currency_of(code).alpha
    assert parse_amount(number, code) == minor
    assert Decimal(number) * 10**currency_of(code).exponent == minor


def test_exponents_come_from_the_iso_table():
    assert [(currency_of(c).alpha, currency_of(c).exponent) for c in CODES] == [
        ("CNY", 2), ("KRW", 0), ("JPY", 0), ("BHD", 3), ("USD", 2)]
    assert format_amount(1000, "410") == "KRW 1000" and format_amount(1234, "048") == "BHD 1.234"


def test_the_form_is_named_for_the_currency():
    with pytest.raises(AmountError, match=r"without decimals, e\.g\. 1000 \(KRW"):
        parse_amount("10.00", "410")
    with pytest.raises(AmountError, match=r"at most 3 decimal\(s\) after a dot, e\.g\. 12\.345 \(BHD\)"):
        parse_amount("1.2345", "048")
