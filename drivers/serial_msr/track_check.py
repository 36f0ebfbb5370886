"""The transport-level check of one track, as a reader would apply it (ISO/IEC 7811-2): sentinels,
character set, length, and the LRC when one follows the end sentinel.

This is deliberately not card validation (Luhn, expiry, service code live in terminal/card); a framer can be
given a stricter `TrackValidator` by the layer above without the driver importing it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class TrackFormat:
    start: str
    base: int       # the character code of bit pattern 0 (0x20 for the 6-bit set, 0x30 for the 4-bit set)
    bits: int       # data bits per character, parity excluded
    max_len: int    # sentinels and LRC included

    def is_data_char(self, ch: str) -> bool:
        code = ord(ch) - self.base
        return 0 <= code < (1 << self.bits) and ch not in (self.start, END_SENTINEL)


END_SENTINEL = "?"
FORMATS = {
    1: TrackFormat("%", 0x20, 6, 79),   # IATA, alphanumeric
    2: TrackFormat(";", 0x30, 4, 40),   # ABA, numeric
    3: TrackFormat(";", 0x30, 4, 107),  # THRIFT, numeric
}

# Raises ValueError (CardDataError is one) naming the fault; returns nothing when the track is acceptable.
TrackValidator = Callable[[int, str], None]


def lrc_char(number: int, framed: str) -> str:
    """The LRC character for a track from its start sentinel through its end sentinel: XOR of the character
    codes in the track's own bit width, written back in the same character set."""
    fmt = FORMATS[number]
    mask = (1 << fmt.bits) - 1
    acc = 0
    for ch in framed:
        acc ^= (ord(ch) - fmt.base) & mask
    return chr(fmt.base + acc)


def check_track_structure(number: int, text: str) -> None:
    """Default validator: '<start><data>?' with an optional LRC character, and track 1 opening with its format
code letter (ISO/IEC 7811-2). Messages never quote the data."""
    fmt = FORMATS.get(number)
    if fmt is None:
        raise ValueError(f"track {number}: no such track (1, 2 or 3)")
    where = f"track {number}"
    if len(text) > fmt.max_len:
        raise ValueError(f"{where}: {len(text)} characters, more than {fmt.max_len}")
    if not text.startswith(fmt.start):
        raise ValueError(f"{where}: does not start with the start sentinel '{fmt.start}'")
    end = text.find(END_SENTINEL)
    if end < 0:
        raise ValueError(f"{where}: no end sentinel '?'")
    body, tail = text[1:end], text[end + 1:]
    if not body:
        raise ValueError(f"{where}: no data between the sentinels")
    bad = next((i for i, ch in enumerate(body) if not fmt.is_data_char(ch)), None)
    if bad is not None:
        raise ValueError(f"{where}: character at position {bad + 1} is not in the track's character set")
    if number == 1 and not "A" <= body[0] <= "Z":
        raise ValueError(f"{where}: the first character is not a format code letter")
    if len(tail) > 1:
        raise ValueError(f"{where}: {len(tail)} characters after the end sentinel, expected at most 1 (LRC)")
    if tail and tail != lrc_char(number, text[:end + 1]):
        raise ValueError(f"{where}: LRC does not match")


def passes(validate: TrackValidator, number: int, text: str) -> bool:
    try:
        validate(number, text)
    except ValueError:
        return False
    return True
