"""What a framer reports, and what `read_swipe` returns: raw track strings with a per-track state.

Track text is kept out of every repr: a stray log line must never carry track data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Union


class TrackState(str, Enum):
    OK = "ok"                  # read, and passed the framer's track check
    EMPTY = "empty"            # the reader sent nothing for this track (no data on the stripe, or not read)
    UNREADABLE = "unreadable"  # the reader marked the track as a read error, or it failed the track check


@dataclass(frozen=True)
class TrackRead:
    number: int  # 1, 2 or 3 (ISO/IEC 7811 track number)
    state: TrackState
    text: str = field(default="", repr=False)  # as the reader sent it, sentinels (and LRC if sent) included


def _text_of(tracks: tuple[TrackRead, ...], number: int) -> str | None:
    for t in tracks:
        if t.number == number and t.state is TrackState.OK:
            return t.text
    return None


def _state_of(tracks: tuple[TrackRead, ...], number: int) -> TrackState:
    return next((t.state for t in tracks if t.number == number), TrackState.EMPTY)


@dataclass(frozen=True)
class Swipe:
    """A complete swipe frame that the reader declared good. Single tracks may still be EMPTY or UNREADABLE;
    at least one is OK."""
    tracks: tuple[TrackRead, ...]

    def text(self, number: int) -> str | None:
        return _text_of(self.tracks, number)

    def state(self, number: int) -> TrackState:
        return _state_of(self.tracks, number)


class BadSwipeKind(str, Enum):
    STATUS = "status"          # the reader's status byte reported an error
    UNREADABLE = "unreadable"  # a swipe arrived but no track could be read
    INCOMPLETE = "incomplete"  # the swipe started and then stopped arriving (inter-character gap)


@dataclass(frozen=True)
class BadSwipe:
    kind: BadSwipeKind
    reason: str
    status: str | None = None  # MSR605 status byte as a character ('1', '9', ...), when there was one
    tracks: tuple[TrackRead, ...] = ()


@dataclass(frozen=True)
class GarbageSkipped:
    """Bytes that were not part of any frame, dropped while looking for the next one."""
    count: int


@dataclass(frozen=True)
class Reply:
    """An MSR605-style answer to a command outside a data block: <ESC> code ('y' link ok, '0' ok, 'A' RAM
    test failed, or an error status)."""
    code: str


Event = Union[Swipe, BadSwipe, GarbageSkipped, Reply]


@dataclass(frozen=True)
class SwipeResult:
    """One swipe as `read_swipe` returns it: either tracks (fault is None) or a swipe-level fault
    ('status', 'unreadable', 'incomplete') with its reason. Port faults are raised, not returned."""
    device: str
    tracks: tuple[TrackRead, ...] = ()
    fault: BadSwipeKind | None = None
    reason: str = ""
    garbage_bytes: int = 0

    @property
    def ok(self) -> bool:
        return self.fault is None

    def text(self, number: int) -> str | None:
        return _text_of(self.tracks, number)

    def state(self, number: int) -> TrackState:
        return _state_of(self.tracks, number)
