"""Sans-I/O framer for MSR605/MSR206-style readers: bytes in, events out.

A data block is `<ESC>s <ESC>1 t1 <ESC>2 t2 <ESC>3 t3 ?<FS> <ESC><status>`; a track the reader has nothing for
may be left out, sent empty, or marked `<ESC>+` (empty) / `<ESC>*` (read error). Bytes outside a block that are
not a reply are garbage, and a block that turns out malformed is resynchronised one byte further on, so a
real block hidden behind noise is still found.
"""
from __future__ import annotations

from drivers.serial_msr.esc_protocol import (
    BLOCK_START, ESC, FS, REPLY_CODES, STATUS_OK, TRACK_EMPTY_MARK, TRACK_ERROR_MARK, TRACK_MARKERS, status_text,
)
from drivers.serial_msr.events import (
    BadSwipe, BadSwipeKind, Event, GarbageSkipped, Reply, Swipe, TrackRead, TrackState,
)
from drivers.serial_msr.track_check import FORMATS, TrackValidator, check_track_structure, passes

MAX_BLOCK = 512  # three full ISO tracks and the framing fit in ~340 bytes
_NEED_MORE = "need more"
_MALFORMED = "malformed"


class _Segment:
    __slots__ = ("number", "mark", "text")

    def __init__(self, number: int, mark: int | None) -> None:
        self.number, self.mark, self.text = number, mark, bytearray()


class EscFramer:
    def __init__(self, validate: TrackValidator = check_track_structure) -> None:
        self._buf = bytearray()
        self._validate = validate

    def feed(self, data: bytes) -> list[Event]:
        self._buf += data
        buf, pos, garbage = self._buf, 0, 0
        events: list[Event] = []

        def emit(event: Event) -> None:
            nonlocal garbage
            if garbage:
                events.append(GarbageSkipped(garbage))
                garbage = 0
            events.append(event)

        while True:
            esc = buf.find(ESC, pos)
            if esc < 0:
                garbage += len(buf) - pos
                pos = len(buf)
                break
            garbage += esc - pos
            pos = esc
            if pos + 1 >= len(buf):
                break  # a lone ESC: wait for the byte that says what it is
            code = buf[pos + 1]
            if code == BLOCK_START[1]:
                outcome = self._parse_block(pos)
                if outcome == _NEED_MORE and len(buf) - pos <= MAX_BLOCK:
                    break
                if isinstance(outcome, tuple):
                    pos, event = outcome
                    emit(event)
                    continue
            elif chr(code) in REPLY_CODES:
                emit(Reply(chr(code)))
                pos += 2
                continue
            garbage += 1  # this ESC starts nothing we know: skip it and look again from the next byte
            pos += 1
        del buf[:pos]
        if garbage:
            events.append(GarbageSkipped(garbage))
        return events

    def pending(self) -> bool:
        """True while bytes are held back waiting for the rest of a block."""
        return bool(self._buf)

    def flush(self) -> list[Event]:
        """The reader went quiet: what is held back is an incomplete swipe (or garbage)."""
        held, self._buf = bytes(self._buf), bytearray()
        if held.startswith(BLOCK_START):
            return [BadSwipe(BadSwipeKind.INCOMPLETE, "incomplete swipe: the reader stopped sending mid-block")]
        return [GarbageSkipped(len(held))] if held else []

    def _parse_block(self, start: int) -> tuple[int, Event] | str:
        buf, n = self._buf, len(self._buf)
        j = start + len(BLOCK_START)
        segments: list[_Segment] = []
        lead = bytearray()  # text between <ESC>s and the first track marker: only the ending '?' may be here
        while True:
            if j >= n:
                return _NEED_MORE
            b = buf[j]
            if b == ESC:
                if j + 1 >= n:
                    return _NEED_MORE
                number = TRACK_MARKERS.get(buf[j + 1])
                if number is None or (segments and number <= segments[-1].number):
                    return _MALFORMED
                j += 2
                if j >= n or (buf[j] == ESC and j + 1 >= n):
                    return _NEED_MORE
                mark = None
                if buf[j] == ESC and buf[j + 1] in (TRACK_EMPTY_MARK, TRACK_ERROR_MARK):
                    mark = buf[j + 1]
                    j += 2
                segments.append(_Segment(number, mark))
            elif b == FS:
                if j + 2 >= n:
                    return _NEED_MORE
                if buf[j + 1] != ESC:
                    return _MALFORMED
                if lead not in (b"", b"?") or (segments and lead):
                    return _MALFORMED
                return j + 3, self._event(segments, chr(buf[j + 2]))
            elif 0x20 <= b <= 0x7E:
                (segments[-1].text if segments else lead).append(b)
                j += 1
            else:
                return _MALFORMED

    def _event(self, segments: list[_Segment], status: str) -> Event:
        by_number = {s.number: s for s in segments}
        last = segments[-1].number if segments else None
        tracks = tuple(self._track(n, by_number.get(n), n == last) for n in (1, 2, 3))
        if status != STATUS_OK:
            return BadSwipe(BadSwipeKind.STATUS, f"reader status {status!r}: {status_text(status)}", status, tracks)
        if not any(t.state is TrackState.OK for t in tracks):
            return BadSwipe(BadSwipeKind.UNREADABLE, "no track could be read", status, tracks)
        return Swipe(tracks)

    def _track(self, number: int, seg: _Segment | None, last: bool) -> TrackRead:
        if seg is None or seg.mark == TRACK_EMPTY_MARK:
            return TrackRead(number, TrackState.EMPTY)
        if seg.mark == TRACK_ERROR_MARK:
            return TrackRead(number, TrackState.UNREADABLE)
        text = seg.text.decode("ascii")
        # The block's ending '?' lands on the last track's text; prefer reading it as the ending field.
        candidates = [text[:-1], text] if last and text.endswith("?") else [text]
        for cand in candidates:
            if not cand:
                return TrackRead(number, TrackState.EMPTY)
            framed = _with_sentinels(number, cand)
            if passes(self._validate, number, framed):
                return TrackRead(number, TrackState.OK, framed)
        return TrackRead(number, TrackState.UNREADABLE)


def _with_sentinels(number: int, text: str) -> str:
    """Some firmware strips the sentinels in ISO mode; put them back so every track leaves in one form."""
    fmt = FORMATS[number]
    if text.startswith(fmt.start) or "?" in text:
        return text
    return f"{fmt.start}{text}?"
