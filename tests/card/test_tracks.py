"""Track parsing: the good forms, and every malformed case with the one error it must name.

LRC values were worked out by hand per ISO/IEC 7811-2 (XOR of the 4-bit (track 2) or 6-bit (track 1)
character codes from start sentinel through end sentinel) and cross-checked with the tiny independent
helper `_lrc` below, which is written differently from the production code on purpose (reduce over ints).
"""
from __future__ import annotations

import datetime as dt
from functools import reduce

import pytest

from terminal.card import CardDataError, mask_pan, parse_track1, parse_track2
from terminal.card.pan import luhn_ok
from terminal.card.tracks import is_expired

PAN = "4761739001010010"  # Visa test card number (public test data)
T2 = f";{PAN}=25122011234567890?"
T1 = f"%B{PAN}^CARDHOLDER/TEST^2512201123456789?"


def _lrc(track: str, base: int, mask: int) -> str:
    return chr(reduce(lambda a, c: a ^ ((ord(c) - base) & mask), track, 0) + base)


def test_luhn_known_values():
    assert luhn_ok(PAN)
    assert luhn_ok("79927398713")  # the textbook example of ISO/IEC 7812-1 annex B
    assert not luhn_ok("79927398710")


def test_track2_with_sentinels():
    t = parse_track2(T2)
    assert t.pan == PAN and t.expiry == "2512" and t.service_code.code == "201"
    assert t.service_code.chip_card
    assert t.as_field35() == f"{PAN}=25122011234567890"


def test_track2_without_sentinels_and_with_lrc():
    assert parse_track2(f"{PAN}=2512201").pan == PAN
    # ';' is 0xB, '?' is 0xF in the 4-bit set; the LRC covers both sentinels.
    assert parse_track2(T2 + _lrc(T2, 0x30, 0xF)).expiry == "2512"


def test_track1_with_lrc():
    t = parse_track1(T1 + _lrc(T1, 0x20, 0x3F))
    assert (t.pan, t.name, t.expiry, t.service_code.code) == (PAN, "CARDHOLDER/TEST", "2512", "201")


@pytest.mark.parametrize("text, fault", [
    ("", "empty track"),
    (f";{PAN}=2512201", "missing end sentinel '?'"),
    (f"{PAN}=2512201?", "missing start sentinel ';'"),
    (f";{PAN}=2512201?12", "2 characters after the end sentinel"),
    (f";{PAN}=2512201?0", "LRC does not match"),
    (f";{PAN}2512201?", "missing field separator '='"),
    (f";{PAN[:-1]}A=2512201?", "character at position 15 is not a digit or '='"),
    (";4761739001010011=2512201?", "Luhn"),
    (";47617390=2512201?", "PAN has 8 digits"),
    (f";{PAN}=251?", "too short for expiry and service code"),
    (f";{PAN}=2513201?", "expiry month 13"),
    (f";{PAN}=2512801?", "service code 801 is not defined"),
    (f";{PAN}=2512201==?", "more than one field separator"),
    (";" + "1" * 40 + "?", "longer than the 40"),
])
def test_track2_faults(text, fault):
    with pytest.raises(CardDataError) as e:
        parse_track2(text)
    assert fault in str(e.value) and str(e.value).startswith("track 2: ")
    assert PAN not in str(e.value)  # never echo card data into an error that may be logged


@pytest.mark.parametrize("text, fault", [
    (f"%B{PAN}^NAME^2512201", "missing end sentinel"),
    (f"%A{PAN}^NAME^2512201?", "format code is not 'B'"),
    (f"%B{PAN}^NAME2512201?", "1 field separators"),
    (f"%B{PAN}^N^2512201?", "name has 1 characters"),
    (f"%B{PAN}^NAME^25?", "too short"),
    (f"%B{PAN}^name^2512201?", "outside the track 1 character set"),
    (f"%B{PAN}^NAME^2500201?", "expiry month 00"),
    (T1 + "!", "LRC does not match"),
    ("%B" + "1" * 80 + "?", "longer than the 79"),
])
def test_track1_faults(text, fault):
    with pytest.raises(CardDataError) as e:
        parse_track1(text)
    assert fault in str(e.value) and str(e.value).startswith("track 1: ")


def test_mask_pan_first6_last4():
    assert mask_pan(PAN) == "476173******0010"
    assert mask_pan("1234567890123456789") == "123456*********6789"
    assert mask_pan("1234") == "****"


def test_expiry_is_through_end_of_month():
    assert not is_expired("2512", dt.date(2025, 12, 31))
    assert is_expired("2512", dt.date(2026, 1, 1))


def test_service_code_meaning():
    svc = parse_track2(f";{PAN}=2512101?").service_code
    assert not svc.chip_card and svc.goods_and_services
    assert parse_track2(f";{PAN}=2512620?").service_code.pin_required
