"""Hypothesis on the codec: whatever the bytes, decode answers with a message or MessageError, nothing else;
and every message the builders can make survives encode -> decode unchanged."""
from __future__ import annotations

import datetime as dt

from hypothesis import given, settings, strategies as st

from terminal.iso8583 import MessageError, decode, encode
from terminal.iso8583.builders import Original, Terminal, request_0200

KEY = bytes(range(16))


@given(st.binary(max_size=600))
@settings(max_examples=400)
def test_decode_random_bytes_only_raises_message_error(raw):
    try:
        decode(raw, KEY)
    except MessageError:
        pass


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=4000))
def test_decode_corrupted_valid_message(noise, at):
    wire = encode("0200", request_0200(Terminal("T1", "M1", "156"), Original("000000", 1, 1, dt.datetime(2026, 1, 1),
                                       "901", 1), dt.datetime(2026, 1, 1), track2="4761739001010119=3112101"), KEY)
    bad = wire[:at % len(wire)] + noise + wire[at % len(wire) + len(noise):]
    try:
        decode(bad, KEY)
    except MessageError:
        return
    assert bad == wire  # any change to a MACed message is refused


@given(amount=st.integers(min_value=1, max_value=999_999_999_999), stan=st.integers(min_value=1, max_value=999_999),
       icc=st.one_of(st.none(), st.binary(min_size=1, max_size=255)),
       pin=st.one_of(st.none(), st.binary(min_size=8, max_size=8)),
       track2=st.from_regex(r"\A[0-9]{12,19}=[0-9]{7,17}\Z"))
def test_round_trip(amount, stan, icc, pin, track2):
    o = Original("000000", amount, stan, dt.datetime(2026, 11, 25, 10, 0, 0), "051", 9, "", "001")
    fields = request_0200(Terminal("TERM0001", "MERCHANT0000001", "156"), o, dt.datetime(2026, 11, 25, 9),
                          track2=track2, icc=icc, pin_block=pin)
    m = decode(encode("0200", fields, KEY), KEY)
    assert m.fields[4] == f"{amount:012d}" and m.fields[11] == f"{stan:06d}" and m.fields[35] == track2
    assert m.fields.get(55) == icc and m.fields.get(52) == pin
