"""BER-TLV codec (EMV Book 3 Annex B). Expected bytes are worked out by hand from the Annex B rules."""
import pytest

from drivers.emvspec.ber_tlv import encode, encode_length, find, find_all, parse, parse_deep, tag_hex, walk
from drivers.emvspec.errors import TlvError


def test_multi_byte_tag_and_short_length():
    # 9F02 is a two-byte tag (low 5 bits of 9F are all ones, 02 has b8 clear): Annex B1
    objs = parse(bytes.fromhex("9F0206000000012345"))
    assert [(o.tag, o.value.hex()) for o in objs] == [(0x9F02, "000000012345")]


def test_three_byte_tag():
    # DF8101: DF needs a subsequent byte, 81 has b8 set (another follows), 01 ends the tag
    assert parse(bytes.fromhex("DF81010155"))[0].tag == 0xDF8101


@pytest.mark.parametrize("length, encoded", [(0x7F, "7F"), (0x80, "8180"), (0xFF, "81FF"), (0x100, "820100")])
def test_length_forms(length, encoded):
    # Annex B2: up to 127 in one byte, else 81 / 82 followed by the length
    assert encode_length(length).hex().upper() == encoded
    assert parse(encode(0x90, bytes(length)))[0].value == bytes(length)


def test_constructed_template_children_and_offsets():
    data = bytes.fromhex("7008" "5A02" "4761" "9F3601" "11")
    (record,) = parse(data)
    assert record.constructed
    children = record.children()
    assert [(c.tag, c.offset) for c in children] == [(0x5A, 2), (0x9F36, 6)]
    assert find([record], 0x9F36).value == b"\x11"


def test_duplicates_kept_in_order():
    data = bytes.fromhex("8601AA" "8601BB" "8601CC")
    assert [o.value for o in find_all(parse(data), 0x86)] == [b"\xaa", b"\xbb", b"\xcc"]


def test_padding_between_objects_is_skipped():
    # Annex B: '00' or 'FF' may appear before, between or after objects
    assert [o.tag for o in parse(bytes.fromhex("00 5A0112 FF FF 5F340101 00"))] == [0x5A, 0x5F34]


@pytest.mark.parametrize("hex_data, message", [
    ("9F", "tag runs past the end"),
    ("5A", "length missing"),
    ("5A0512", "runs 4 bytes past the end"),
    ("5A80", "indefinite length"),
    ("5A85FFFFFFFFFF", "at most 4"),
])
def test_errors_name_offset(hex_data, message):
    with pytest.raises(TlvError, match=message) as err:
        parse(bytes.fromhex(hex_data))
    assert "at byte" in str(err.value)


def test_deep_error_reports_offset_inside_template():
    data = bytes.fromhex("7004" "5A01" "12" "9F")   # the tag 9F at byte 5 has no second byte
    with pytest.raises(TlvError) as err:
        parse_deep(data)
    assert err.value.offset == 5


def test_walk_and_tag_hex():
    objs = parse(bytes.fromhex("6F06" "840200AA" "A500"))
    assert [tag_hex(o.tag) for o in walk(objs)] == ["6F", "84", "A5"]
