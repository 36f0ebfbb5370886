"""Sans-I/O framer for plain ASCII-track readers: bytes in, events out.

A swipe is one line: optional STX, the tracks back to back (`%...?` then `;...?`, each optionally followed by
its LRC character), then ETX, CR or LF. `%E?` / `;E?` is the common way such readers flag a track they could
not read. Because an LRC character may itself look like a sentinel, each end sentinel is tried both with and
without a following LRC, and the reading that explains the most of the line wins; a character after an end
sentinel that is neither a matching LRC nor a start sentinel marks that track unreadable (a failed LRC). Noise in front of a swipe
on the same line is skipped by trying each start sentinel in turn.
"""
from __future__ import annotations

from drivers.serial_msr.events import (
    BadSwipe, BadSwipeKind, Event, GarbageSkipped, Swipe, TrackRead, TrackState,
)
from drivers.serial_msr.track_check import END_SENTINEL, TrackValidator, check_track_structure, passes

STX, ETX, LF, CR = 0x02, 0x03, 0x0A, 0x0D
TERMINATORS = frozenset((ETX, CR, LF))
MAX_LINE = 512
READ_ERROR_BODY = "E"

_Parse = tuple[list[TrackRead], int]  # tracks read, index just past the last one


class AsciiFramer:
    def __init__(self, validate: TrackValidator = check_track_structure) -> None:
        self._line = bytearray()
        self._validate = validate

    def feed(self, data: bytes) -> list[Event]:
        events: list[Event] = []
        for b in data:
            if b == STX:
                if self._line:  # a new frame starts: whatever was pending never got its terminator
                    events.append(GarbageSkipped(len(self._line)))
                    self._line.clear()
            elif b in TERMINATORS:
                if self._line:
                    events.extend(self._parse_line(self._line.decode("latin-1")))
                    self._line.clear()
            else:
                self._line.append(b)
                if len(self._line) > MAX_LINE:
                    events.append(GarbageSkipped(len(self._line)))
                    self._line.clear()
        return events

    def pending(self) -> bool:
        return bool(self._line)

    def flush(self) -> list[Event]:
        held = self._line.decode("latin-1")
        self._line.clear()
        if "%" in held or ";" in held:
            return [BadSwipe(BadSwipeKind.INCOMPLETE, "incomplete swipe: the reader stopped before the end of line")]
        return [GarbageSkipped(len(held))] if held else []

    def _parse_line(self, line: str) -> list[Event]:
        best: tuple[int, _Parse] | None = None
        for start in (i for i, ch in enumerate(line) if ch in "%;"):
            parsed = self._parse_from(line, start, 0)
            if _ok_count(parsed[0]) and (best is None or _rank(parsed, line) > _rank(best[1], line)):
                best = (start, parsed)
        if best is None:
            return self._unreadable_line(line)
        start, (tracks, stop) = best
        skipped = start + len(line) - stop
        events: list[Event] = [GarbageSkipped(skipped)] if skipped else []
        return events + [Swipe(_all_tracks(tracks))]

    def _unreadable_line(self, line: str) -> list[Event]:
        if line[0] not in "%;":
            return [GarbageSkipped(len(line))]
        tracks, _ = self._parse_from(line, 0, 0)
        reason = "no track could be read" if tracks else "the swipe failed the track checks"
        return [BadSwipe(BadSwipeKind.UNREADABLE, reason, None, _all_tracks(tracks))]

    def _parse_from(self, line: str, pos: int, last: int) -> _Parse:
        number = _track_number(line[pos] if pos < len(line) else "", last)
        end = line.find(END_SENTINEL, pos + 1) if number else -1
        if end < 0:
            return [], pos
        framed = line[pos:end + 1]
        options: list[tuple[TrackRead, int]] = []
        if framed[1:-1] == READ_ERROR_BODY:
            options.append((TrackRead(number, TrackState.UNREADABLE), end + 1))
        else:
            after = line[end + 1:end + 2]
            if after and passes(self._validate, number, framed + after):
                options.append((TrackRead(number, TrackState.OK, framed + after), end + 2))
            elif after and after not in "%;":  # an LRC that does not match: a misread track
                options.append((TrackRead(number, TrackState.UNREADABLE), end + 2))
            if passes(self._validate, number, framed):
                options.append((TrackRead(number, TrackState.OK, framed), end + 1))
        best: _Parse = ([], pos)
        for track, after in options:
            rest, stop = self._parse_from(line, after, number)
            if (stop, len(rest) + 1) > (best[1], len(best[0])):
                best = ([track] + rest, stop)
        return best


def _track_number(ch: str, last: int) -> int:
    if ch == "%" and last < 1:
        return 1
    if ch == ";" and last < 3:
        return 2 if last < 2 else 3
    return 0


def _ok_count(tracks: list[TrackRead]) -> int:
    return sum(t.state is TrackState.OK for t in tracks)


def _rank(parsed: _Parse, line: str) -> tuple[bool, int, int]:
    """Reaching the end of the line beats anything; then more good financial tracks (1 and 2), then more good
    tracks. Ties keep the earlier start. Counting tracks 1-2 first stops noise such as ';?' in front of a swipe
    from turning the real track 2 into a 'track 3' behind an unreadable track 2."""
    tracks, stop = parsed
    financial = sum(t.state is TrackState.OK and t.number in (1, 2) for t in tracks)
    return stop == len(line), financial, _ok_count(tracks)


def _all_tracks(tracks: list[TrackRead]) -> tuple[TrackRead, ...]:
    found = {t.number: t for t in tracks}
    return tuple(found.get(n, TrackRead(n, TrackState.EMPTY)) for n in (1, 2, 3))
