"""Hypothesis on the BER-TLV codec: encode/parse round trip, and random bytes never crash it (only TlvError)."""
from hypothesis import given, settings, strategies as st

from drivers.emvspec.ber_tlv import Tlv, encode, parse, parse_deep, walk
from drivers.emvspec.errors import TlvError


def _tags():
    one_byte = st.integers(0x01, 0xFE).filter(lambda b: b & 0x1F != 0x1F)
    two_byte = st.tuples(st.integers(0, 0xFF).map(lambda b: b | 0x1F), st.integers(0x00, 0x7F)).map(
        lambda t: (t[0] << 8) | t[1])
    three_byte = st.tuples(st.integers(0, 0xFF).map(lambda b: b | 0x1F), st.integers(0x80, 0xFF),
                           st.integers(0, 0x7F)).map(lambda t: (t[0] << 16) | (t[1] << 8) | t[2])
    return st.one_of(one_byte, two_byte, three_byte).filter(lambda t: t >> ((t.bit_length() - 1) // 8 * 8) != 0xFF)


primitive_tags = _tags().filter(lambda t: not (t >> ((t.bit_length() - 1) // 8 * 8)) & 0x20)


@given(st.lists(st.tuples(primitive_tags, st.binary(max_size=300)), max_size=8))
def test_round_trip(items):
    blob = b"".join(encode(tag, value) for tag, value in items)
    assert [(o.tag, o.value) for o in parse(blob)] == items
    assert b"".join(o.encode() for o in parse(blob)) == blob


@given(st.lists(st.tuples(primitive_tags, st.binary(max_size=40)), min_size=1, max_size=5))
def test_nested_round_trip(items):
    inner = b"".join(encode(tag, value) for tag, value in items)
    (template,) = parse(encode(0x70, inner))
    assert [(o.tag, o.value) for o in template.children()] == items


@settings(max_examples=500)
@given(st.binary(max_size=200))
def test_random_bytes_only_raise_tlv_error(blob):
    try:
        objs = parse_deep(blob)
    except TlvError as err:
        assert 0 <= err.offset <= len(blob)
        return
    for obj in walk(objs):
        assert isinstance(obj, Tlv)
