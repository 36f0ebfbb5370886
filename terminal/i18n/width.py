"""Columns on a fixed-width screen or slip: a Chinese character takes two, a Latin letter one.

Python's len() and str.ljust count characters, so '交易成功' would be padded as if it were 4 columns wide and
every box edge after it would be out of line. These helpers count what a terminal and a thermal printer draw:
East Asian Wide and Fullwidth characters (unicodedata.east_asian_width 'W'/'F') take 2 columns, combining marks
none, everything else 1. The stdlib table is enough here: no emoji or ambiguous-width text reaches a screen.
"""
from __future__ import annotations

import unicodedata


def char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def width(text: str) -> int:
    """The columns `text` takes on the screen."""
    return sum(char_width(ch) for ch in text)


def fit(text: str, columns: int, mark: str = "~") -> str:
    """`text` if it fits in `columns`, else cut to fit with `mark` at the end (never half a wide character)."""
    if width(text) <= columns:
        return text
    out, used = [], 0
    for ch in text:
        w = char_width(ch)
        if used + w > columns - width(mark):
            break
        out.append(ch)
        used += w
    return "".join(out) + mark


def ljust(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def rjust(text: str, columns: int) -> str:
    return " " * max(0, columns - width(text)) + text


def center(text: str, columns: int) -> str:
    room = max(0, columns - width(text))
    return " " * (room // 2) + text + " " * (room - room // 2)


def row(left: str, right: str, columns: int) -> str:
    """`left` at the left edge and `right` at the right edge of `columns` (at least one space between)."""
    return left + rjust(right, max(columns - width(left), width(right) + 1))


def wrap(text: str, columns: int) -> list[str]:
    """`text` broken into lines of at most `columns`: at spaces for Latin text, anywhere between wide
    characters (Chinese has no spaces between words)."""
    lines: list[str] = []
    line, used = "", 0
    for word in _words(text):
        w = width(word)
        if used and used + w > columns:
            lines.append(line.rstrip())
            line, used = "", 0
            if word == " ":
                continue
        while w > columns:   # one word longer than the line: cut it
            head = fit(word, columns, mark="")
            lines.append(head)
            word = word[len(head):]
            w = width(word)
        line += word
        used += w
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def _words(text: str) -> list[str]:
    """Spaces, runs of narrow characters, and single wide characters: the places a line may break."""
    out: list[str] = []
    for ch in text:
        if ch == " " or char_width(ch) == 2:
            out.append(ch)
        elif out and out[-1] != " " and char_width(out[-1][-1]) != 2:
            out[-1] += ch
        else:
            out.append(ch)
    return out
