"""DOL parsing and filling (EMV Book 3 section 5.4); expected bytes follow the rules of 5.4 item by item."""
import pytest

from drivers.emvspec.dol import build_dol_data, fit, parse_dol, split_dol_data
from drivers.emvspec.errors import DolError


def test_parse_cdol_with_multi_byte_tags():
    assert parse_dol(bytes.fromhex("9F02069F1A02950591 0A".replace(" ", ""))) == [
        (0x9F02, 6), (0x9F1A, 2), (0x95, 5), (0x91, 10)]


def test_parse_error_names_dol_and_offset():
    with pytest.raises(DolError, match=r"CDOL1: .*tag 9F02.*missing"):
        parse_dol(bytes.fromhex("9F0206" "9F02"), "CDOL1")


# Formats as EMV Book 3 Annex A gives them (the kernel passes terminal.emv.tags.fmt).
FORMATS = {0x9F02: "n", 0x5A: "cn", 0x9F1E: "an", 0x9F10: "b", 0x70: "b", 0x9F37: "b", 0x95: "b", 0x9F7A: "b"}


def fmt_of(tag: int) -> str:
    return FORMATS[tag]


@pytest.mark.parametrize("tag, value, length, expected", [
    (0x9F02, "000000012345", 6, "000000012345"),     # exact
    (0x9F02, "012345", 6, "000000012345"),           # n: padded with leading zeros (5.4 c)
    (0x9F02, "000000012345", 4, "00012345"),         # n: leftmost bytes dropped (5.4 b)
    (0x5A, "4761739001010010", 10, "4761739001010010FFFF"),  # cn: padded with trailing F (5.4 c)
    (0x9F1E, "504F53", 5, "504F530000"),            # an: padded with trailing zeros
    (0x9F10, "0102030405", 3, "010203"),             # b: rightmost bytes dropped
    (0x70, "5A0112", 3, "000000"),                  # constructed: zeros (5.4 a)
])
def test_fit(tag, value, length, expected):
    assert fit(tag, bytes.fromhex(value), length, fmt_of(tag)).hex().upper() == expected


def test_absent_tag_filled_with_zeros():
    assert build_dol_data([(0x9F7A, 1), (0x9F02, 6)], {0x9F02: bytes.fromhex("000000000100")}, fmt_of).hex() == \
        "00000000000100"


def test_split_is_inverse_of_build():
    dol = [(0x9F37, 4), (0x95, 5)]
    data = {0x9F37: b"\x01\x02\x03\x04", 0x95: bytes(5)}
    assert split_dol_data(dol, build_dol_data(dol, data, fmt_of)) == data
    with pytest.raises(DolError):
        split_dol_data(dol, b"\x01")
