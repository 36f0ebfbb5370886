"""ISO/IEC 7813 track 1 (format B) and track 2 parsing.

A reader may hand a track over with or without its sentinels, and with or without the LRC character that
follows the end sentinel; all four forms are accepted and checked. Every fault raises one CardDataError naming
the track and what was wrong; the error never repeats the track's content (track data must not reach a log).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from terminal.card.errors import CardDataError
from terminal.card.pan import validate_pan
from terminal.card.service_code import ServiceCode

T1_MAX = 79  # characters, sentinels and LRC included (ISO/IEC 7811-2)
T2_MAX = 40
T1_NAME_MIN, T1_NAME_MAX = 2, 26


@dataclass(frozen=True)
class Track2:
    pan: str
    expiry: str  # YYMM
    service_code: ServiceCode
    discretionary: str = field(repr=False)

    def as_field35(self) -> str:
        """Track 2 equivalent data as field 35 carries it: no sentinels, no LRC, '=' separator."""
        return f"{self.pan}={self.expiry}{self.service_code.code}{self.discretionary}"

    def __repr__(self) -> str:  # never let a stray repr log the PAN
        from terminal.card.pan import mask_pan
        return f"Track2(pan={mask_pan(self.pan)}, expiry=****, service_code={self.service_code.code})"


@dataclass(frozen=True)
class Track1:
    pan: str
    name: str
    expiry: str
    service_code: ServiceCode
    discretionary: str = field(repr=False)

    def __repr__(self) -> str:
        from terminal.card.pan import mask_pan
        return f"Track1(pan={mask_pan(self.pan)}, service_code={self.service_code.code})"


def _strip_frame(text: str, where: str, start: str, end: str, lrc_base: int, lrc_bits: int) -> str:
    """Remove sentinels and check the LRC when it is present. Returns the track's data characters."""
    if not text:
        raise CardDataError(where, "empty track")
    if text[0] == start:
        end_at = text.find(end)
        if end_at < 0:
            raise CardDataError(where, f"missing end sentinel '{end}'")
        tail = text[end_at + 1:]
        if len(tail) > 1:
            raise CardDataError(where, f"{len(tail)} characters after the end sentinel, expected at most 1 (LRC)")
        if tail:
            lrc = 0
            for ch in text[:end_at + 1]:
                lrc ^= (ord(ch) - lrc_base) & ((1 << lrc_bits) - 1)
            if ord(tail) - lrc_base != lrc:
                raise CardDataError(where, "LRC does not match (misread swipe)")
        return text[1:end_at]
    if text[-1] == end:
        raise CardDataError(where, f"missing start sentinel '{start}'")
    if start in text or end in text:
        raise CardDataError(where, "sentinel inside the data")
    return text


def _check_expiry(expiry: str, where: str) -> str:
    if len(expiry) != 4 or not expiry.isdigit():
        raise CardDataError(where, "expiry must be 4 digits YYMM")
    if not 1 <= int(expiry[2:]) <= 12:
        raise CardDataError(where, f"expiry month {expiry[2:]} is not 01-12")
    return expiry


def parse_track2(text: str) -> Track2:
    where = "track 2"
    if len(text) > T2_MAX:
        raise CardDataError(where, f"{len(text)} characters, longer than the {T2_MAX} ISO/IEC 7813 allows")
    body = _strip_frame(text, where, ";", "?", 0x30, 4)
    if any(not ("0" <= c <= "9" or c == "=") for c in body):
        bad = next(i for i, c in enumerate(body) if not ("0" <= c <= "9" or c == "="))
        raise CardDataError(where, f"character at position {bad} is not a digit or '='")
    if "=" not in body:
        raise CardDataError(where, "missing field separator '='")
    pan, rest = body.split("=", 1)
    validate_pan(pan, where)
    if len(rest) < 7:
        raise CardDataError(where, "too short for expiry and service code after the separator")
    expiry = _check_expiry(rest[:4], where)
    svc = ServiceCode.parse(rest[4:7], where)
    disc = rest[7:]
    if "=" in disc:
        raise CardDataError(where, "more than one field separator")
    return Track2(pan, expiry, svc, disc)


def parse_track1(text: str) -> Track1:
    where = "track 1"
    if len(text) > T1_MAX:
        raise CardDataError(where, f"{len(text)} characters, longer than the {T1_MAX} ISO/IEC 7813 allows")
    body = _strip_frame(text, where, "%", "?", 0x20, 6)
    bad = next((i for i, c in enumerate(body) if not 0x20 <= ord(c) <= 0x5F), None)
    if bad is not None:
        raise CardDataError(where, f"character at position {bad} is outside the track 1 character set")
    if not body.startswith("B"):
        raise CardDataError(where, "format code is not 'B' (financial card)")
    parts = body[1:].split("^")
    if len(parts) != 3:
        raise CardDataError(where, f"{len(parts) - 1} field separators '^', expected 2")
    pan, name, rest = parts
    validate_pan(pan, where)
    if not T1_NAME_MIN <= len(name) <= T1_NAME_MAX:
        raise CardDataError(where, f"name has {len(name)} characters, expected {T1_NAME_MIN} to {T1_NAME_MAX}")
    if len(rest) < 7:
        raise CardDataError(where, "too short for expiry and service code after the name")
    expiry = _check_expiry(rest[:4], where)
    svc = ServiceCode.parse(rest[4:7], where)
    return Track1(pan, name.strip(), expiry, svc, rest[7:])


def is_expired(expiry_yymm: str, today: _dt.date) -> bool:
    """A card is valid through the last day of its expiry month. Years are 20YY (ISO 7813 carries two digits)."""
    year, month = 2000 + int(expiry_yymm[:2]), int(expiry_yymm[2:])
    return (today.year, today.month) > (year, month)
