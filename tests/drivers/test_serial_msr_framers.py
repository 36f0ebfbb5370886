"""The sans-I/O framers on exact byte streams: what each protocol's frames, faults and noise turn into."""
from __future__ import annotations

import pytest

from drivers.serial_msr import (
    AsciiFramer, BadSwipe, BadSwipeKind, EscFramer, GarbageSkipped, Reply, Swipe, TrackState, lrc_char,
)
from drivers.serial_msr.esc_protocol import encode_block

T1 = "%B4761739001010010^VISA/TEST CARD^30122010000000000?"
T2 = ";4761739001010010=301220100000000?"
T3 = ";0112345678901234=7247241000000000000303000000404000990100?"


def states(event):
    return tuple(t.state for t in event.tracks)


def feed_all(framer, data: bytes, step: int | None = None):
    if step is None:
        return framer.feed(data)
    events = []
    for i in range(0, len(data), step):
        events += framer.feed(data[i:i + step])
    return events


# -- MSR605 ESC protocol ---------------------------------------------------------------------------------------
def test_esc_good_block_gives_each_track_as_sent():
    block = b"\x1bs\x1b\x01" + T1.encode() + b"\x1b\x02" + T2.encode() + b"\x1b\x03" + T3.encode() + b"?\x1c\x1b0"
    [swipe] = EscFramer().feed(block)
    assert isinstance(swipe, Swipe)
    assert (swipe.text(1), swipe.text(2), swipe.text(3)) == (T1, T2, T3)


@pytest.mark.parametrize("step", [1, 2, 7])
def test_esc_block_split_across_many_feeds_is_reassembled(step):
    block = encode_block({1: T1.encode(), 2: T2.encode()}, "0")
    framer = EscFramer()
    events = feed_all(framer, block, step)
    assert [type(e) for e in events] == [Swipe] and events[0].text(2) == T2
    assert not framer.pending()


def test_esc_ascii_digit_track_markers_are_accepted_too():
    block = b"\x1bs\x1b1" + T1.encode() + b"\x1b2" + T2.encode() + b"?\x1c\x1b0"
    [swipe] = EscFramer().feed(block)
    assert swipe.text(1) == T1 and swipe.text(2) == T2


def test_esc_track_left_out_or_empty_is_empty():
    # The manual's example: no data on track 1 -> '1B 01' only; track 3 not sent at all.
    [swipe] = EscFramer().feed(b"\x1bs\x1b\x01\x1b\x02" + T2.encode() + b"?\x1c\x1b0")
    assert states(swipe) == (TrackState.EMPTY, TrackState.OK, TrackState.EMPTY)


def test_esc_error_marked_track_is_unreadable_and_the_others_still_read():
    [swipe] = EscFramer().feed(encode_block({2: T2.encode()}, "0", frozenset({1})))
    assert states(swipe) == (TrackState.UNREADABLE, TrackState.OK, TrackState.EMPTY)
    assert swipe.text(1) is None and swipe.text(2) == T2


def test_esc_empty_marks_on_every_track():
    events = EscFramer().feed(b"\x1bs\x1b\x01\x1b+\x1b\x02\x1b+\x1b\x03\x1b+?\x1c\x1b0")
    assert events == [BadSwipe(BadSwipeKind.UNREADABLE, "no track could be read", "0", events[0].tracks)]
    assert states(events[0]) == (TrackState.EMPTY,) * 3


@pytest.mark.parametrize("status, text", [("1", "read/write error"), ("2", "command format error"),
                                          ("4", "invalid command"), ("9", "invalid card swipe")])
def test_esc_error_status_is_a_bad_swipe_naming_the_status(status, text):
    [bad] = EscFramer().feed(encode_block({}, status))
    assert bad.kind is BadSwipeKind.STATUS and bad.status == status
    assert bad.reason == f"reader status {status!r}: {text}"


def test_esc_tracks_without_sentinels_are_given_back_with_them():
    [swipe] = EscFramer().feed(b"\x1bs\x1b\x02" + T2[1:-1].encode() + b"?\x1c\x1b0")
    assert swipe.text(2) == T2


def test_esc_track_failing_the_check_is_unreadable():
    broken = T2.replace("=", "A").encode()  # 'A' is not in the track 2 character set
    [bad] = EscFramer().feed(encode_block({2: broken}, "0"))
    assert bad.kind is BadSwipeKind.UNREADABLE and bad.tracks[1].state is TrackState.UNREADABLE


def test_esc_replies_outside_a_block():
    assert EscFramer().feed(b"\x1by\x1b0\x1bA") == [Reply("y"), Reply("0"), Reply("A")]


def test_esc_noise_and_a_false_block_start_before_a_real_block():
    noise = b"\x00\xffjunk\x1bq\x1bs\x1b\x07"
    events = EscFramer().feed(noise + encode_block({2: T2.encode()}, "0"))
    assert events[0] == GarbageSkipped(len(noise))
    assert isinstance(events[1], Swipe) and events[1].text(2) == T2


def test_esc_block_that_stops_is_incomplete_on_flush():
    framer = EscFramer()
    block = encode_block({1: T1.encode(), 2: T2.encode()}, "0")
    assert framer.feed(block[:30]) == []
    assert framer.pending()
    [bad] = framer.flush()
    assert bad.kind is BadSwipeKind.INCOMPLETE and "incomplete swipe" in bad.reason
    assert not framer.pending()


def test_esc_runaway_block_is_dropped_as_garbage():
    framer = EscFramer()
    events = framer.feed(b"\x1bs\x1b\x01" + b"B" * 600)
    assert sum(e.count for e in events if isinstance(e, GarbageSkipped)) == 604
    assert not framer.pending()


def test_esc_repr_never_shows_track_data():
    [swipe] = EscFramer().feed(encode_block({2: T2.encode()}, "0"))
    assert "4761739001010010" not in repr(swipe)


# -- plain ASCII-track readers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("line", [
    f"{T1}{T2}\r", f"{T1}{T2}\r\n", f"\x02{T1}{T2}\x03", f"\x02{T1}{T2}\x03\r\n",
])
def test_ascii_terminators_and_stx_etx_framing(line):
    events = AsciiFramer().feed(line.encode())
    assert [type(e) for e in events] == [Swipe]
    assert (events[0].text(1), events[0].text(2)) == (T1, T2)


def test_ascii_lrc_after_each_end_sentinel_is_kept_and_checked():
    t1, t2 = T1 + lrc_char(1, T1), T2 + lrc_char(2, T2)
    [swipe] = AsciiFramer().feed(f"{t1}{t2}\r".encode())
    assert (swipe.text(1), swipe.text(2)) == (t1, t2)


def test_ascii_lrc_that_looks_like_a_start_sentinel_is_resolved():
    # Track 1 '%B...?' whose LRC happens to be ';': both readings are tried; the one explaining the line wins.
    candidates = (f"%B4761739001010010^{a}/TEST^3012201{n:03d}?" for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                  for n in range(1000))
    t1 = next(t for t in candidates if lrc_char(1, t) == ";")
    [swipe] = AsciiFramer().feed(f"{t1};4761739001010010=3012201?\r".encode())
    assert swipe.text(1) == t1 and swipe.text(2) == ";4761739001010010=3012201?"
    [swipe] = AsciiFramer().feed(f"{t1};{T2}\r".encode())  # and here the ';' really is the LRC
    assert swipe.text(1) == t1 + ";" and swipe.text(2) == T2


def test_ascii_wrong_lrc_makes_the_swipe_unreadable():
    wrong = chr(ord(lrc_char(2, T2)) ^ 1)
    [bad] = AsciiFramer().feed(f"{T2}{wrong}\r".encode())
    assert bad.kind is BadSwipeKind.UNREADABLE and bad.tracks[1].state is TrackState.UNREADABLE
    [swipe] = AsciiFramer().feed(f"{T1}{T2}{wrong}\r".encode())
    assert states(swipe) == (TrackState.OK, TrackState.UNREADABLE, TrackState.EMPTY)


def test_ascii_track2_only():
    [swipe] = AsciiFramer().feed(f"{T2}\r".encode())
    assert states(swipe) == (TrackState.EMPTY, TrackState.OK, TrackState.EMPTY)


def test_ascii_error_tokens_mark_tracks_unreadable():
    [swipe] = AsciiFramer().feed(f"%E?{T2}\r".encode())
    assert states(swipe) == (TrackState.UNREADABLE, TrackState.OK, TrackState.EMPTY)
    [bad] = AsciiFramer().feed(b"%E?;E?\r")
    assert bad.kind is BadSwipeKind.UNREADABLE and bad.reason == "no track could be read"


def test_ascii_noise_on_the_same_line_is_skipped():
    events = AsciiFramer().feed(f"\x7f%%;x{T1}{T2}\r".encode())
    assert events[0] == GarbageSkipped(5) and events[1].text(1) == T1


def test_ascii_line_without_sentinels_is_garbage_not_a_swipe():
    assert AsciiFramer().feed(b"hello\r\n") == [GarbageSkipped(5)]


def test_ascii_partial_line_is_incomplete_on_flush():
    framer = AsciiFramer()
    assert framer.feed(T1[:20].encode()) == [] and framer.pending()
    [bad] = framer.flush()
    assert bad.kind is BadSwipeKind.INCOMPLETE


def test_ascii_stx_drops_an_unterminated_fragment():
    events = AsciiFramer().feed(f"{T1[:10]}\x02{T2}\x03".encode())
    assert events[0] == GarbageSkipped(10) and events[1].text(2) == T2


def test_ascii_noise_sentinel_does_not_swallow_the_track_behind_it():
    # '%' then track 2: ';' is a legal track 1 character, but track 1 must open with its format code letter.
    events = AsciiFramer().feed(f"%{T2}\r".encode())
    assert events[0] == GarbageSkipped(1) and events[1].text(2) == T2 and events[1].text(1) is None


def test_ascii_noise_that_looks_like_an_empty_track_does_not_eat_the_swipe():
    """Found by hypothesis: ';?' and a stray byte in front of a swipe were read as an unreadable track 2
    followed by a 'track 3' holding the real track 2."""
    from drivers.serial_msr.ascii_framer import AsciiFramer
    from drivers.serial_msr.events import Swipe
    from terminal.card.swipe import card_track_check
    events = AsciiFramer(card_track_check).feed(b";?\x00;444444444442=0001100?\r")
    swipes = [e for e in events if isinstance(e, Swipe)]
    assert [(s.text(1), s.text(2)) for s in swipes] == [(None, ";444444444442=0001100?")]
