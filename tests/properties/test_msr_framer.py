"""Property tests of the serial MSR framers: random byte streams, random splits, valid swipes hidden in noise.

For every framer: it never raises; every track it calls OK passes the validator it was given, and an
independent re-check of sentinels, character set and LRC written here (not the production helper); with the
card layer's validator, every OK track also parses with parse_track1/parse_track2. A valid swipe with garbage
before and after, cut at random points, is still found with exactly its tracks.
"""
from __future__ import annotations

from functools import reduce

from hypothesis import HealthCheck, given, settings, strategies as st

from drivers.serial_msr import AsciiFramer, EscFramer, Swipe, TrackState, check_track_structure, lrc_char
from drivers.serial_msr.esc_protocol import encode_block
from terminal.card import parse_track1, parse_track2
from terminal.card.pan import luhn_ok
from terminal.card.swipe import card_track_check

FRAMERS = {"ascii": AsciiFramer, "msr605": EscFramer}
VALIDATORS = {"structure": check_track_structure, "card": card_track_check}
PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Bytes that mean something to one of the framers, so random streams hit the interesting paths often.
SIGNIFICANT = b"\x1bs\x01\x02\x03123+*?\x1c0y49%;=^BE\x02\x03\r\n4761739001010010"
noise = st.one_of(st.binary(max_size=200),
                  st.lists(st.sampled_from(list(SIGNIFICANT)), max_size=200).map(bytes))


def recheck(number: int, text: str) -> None:
    """Independent of drivers.serial_msr.track_check: reduce over codes, explicit ranges."""
    start, base, width = ("%", 0x20, 64) if number == 1 else (";", 0x30, 16)
    assert text[0] == start
    end = text.index("?")
    assert 1 <= end and len(text) - end - 1 in (0, 1)
    assert all(base <= ord(c) < base + width and c not in (start, "?") for c in text[1:end])
    if len(text) > end + 1:
        assert chr(base + reduce(lambda acc, c: acc ^ ((ord(c) - base) % width), text[:end + 1], 0)) == text[-1]


def cut(data: bytes, points: list[int]) -> list[bytes]:
    edges = sorted({0, len(data), *(p % (len(data) + 1) for p in points)})
    return [data[a:b] for a, b in zip(edges, edges[1:])]


def run(framer, chunks: list[bytes]) -> list:
    events = []
    for chunk in chunks:
        events += framer.feed(chunk)
    return events + framer.flush()


def check_ok_tracks(events: list, validator) -> None:
    for event in events:
        for track in getattr(event, "tracks", ()):
            if track.state is TrackState.OK:
                validator(track.number, track.text)
                if track.number in (1, 2):
                    recheck(track.number, track.text)
                if validator is card_track_check and track.number == 1:
                    parse_track1(track.text)
                if validator is card_track_check and track.number == 2:
                    parse_track2(track.text)


@PROFILE
@given(protocol=st.sampled_from(sorted(FRAMERS)), validator=st.sampled_from(sorted(VALIDATORS)),
       data=noise, points=st.lists(st.integers(0, 400), max_size=8))
def test_random_streams_never_crash_and_never_yield_a_bad_track(protocol, validator, data, points):
    events = run(FRAMERS[protocol](VALIDATORS[validator]), cut(data, points))
    check_ok_tracks(events, VALIDATORS[validator])


# -- valid swipes -----------------------------------------------------------------------------------------------
@st.composite
def pans(draw) -> str:
    body = draw(st.text("0123456789", min_size=11, max_size=18)).lstrip("0").rjust(11, "4")
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


@st.composite
def cards(draw) -> tuple[str | None, str]:
    pan = draw(pans())
    expiry = f"{draw(st.integers(0, 99)):02d}{draw(st.integers(1, 12)):02d}"
    service = draw(st.sampled_from("125679")) + draw(st.sampled_from("024")) + draw(st.sampled_from("01234567"))
    room = 39 - len(f";{pan}={expiry}{service}?")  # ISO maximum 40 with the LRC, which may be added
    disc2 = draw(st.text("0123456789", max_size=room))
    track2 = f";{pan}={expiry}{service}{disc2}?"
    name = draw(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ /.", min_size=2, max_size=26)).strip().ljust(2, "X")
    disc1 = draw(st.text("0123456789", max_size=78 - len(f"%B{pan}^{name}^{expiry}{service}?")))
    track1 = f"%B{pan}^{name}^{expiry}{service}{disc1}?" if draw(st.booleans()) else None
    return track1, track2


@st.composite
def ascii_swipes(draw, track1: str | None, track2: str) -> tuple[bytes, str | None, str]:
    if draw(st.booleans()):
        track1 = track1 and track1 + lrc_char(1, track1)
        track2 = track2 + lrc_char(2, track2)
    body = ((track1 or "") + track2).encode()
    if draw(st.booleans()):
        return b"\x02" + body + draw(st.sampled_from([b"\x03", b"\x03\r\n"])), track1, track2
    return body + draw(st.sampled_from([b"\r", b"\r\n"])), track1, track2


@PROFILE
@given(data=st.data(), card=cards(), before=noise, after=noise, points=st.lists(st.integers(0, 700), max_size=10))
def test_valid_swipe_surrounded_by_garbage_is_found(data, card, before, after, points):
    track1, track2 = card
    for protocol in FRAMERS:
        if protocol == "ascii":
            frame, t1, t2 = data.draw(ascii_swipes(track1, track2))
        else:
            frame = encode_block({1: track1 and track1.encode(), 2: track2.encode()}, "0")
            t1, t2 = track1, track2
        events = run(FRAMERS[protocol](card_track_check), cut(before + frame + after, points))
        check_ok_tracks(events, card_track_check)
        found = [(e.text(1), e.text(2)) for e in events if isinstance(e, Swipe)]
        assert (t1, t2) in found, protocol
