"""Lines of paper for a thermal printer: 32 columns on 58 mm paper, 48 on 80 mm (font A, 12 dots a column).

Columns are counted as the printer prints them, by terminal/i18n/width.py: a Chinese character is two, a
combining mark none. On top of that, what a slip needs: a label with its value at the right edge (or, when
both do not fit, the value on the next line), a rule, a centred title without trailing spaces.
"""
from __future__ import annotations

from terminal.i18n.width import fit, rjust, width, wrap

COLUMNS = (32, 48)          # 58 mm and 80 mm paper


def clip(text: str, columns: int) -> str:
    """The longest start of `text` that fits in `columns` (a wide character never split in half)."""
    return fit(text, columns, mark="")


def center(text: str, columns: int) -> str:
    """Centred, without trailing spaces (a printer needs none; a snapshot keeps none)."""
    text = clip(text, columns)
    return " " * ((columns - width(text)) // 2) + text


def rule(columns: int, char: str = "-") -> str:
    return char * columns


def pair(label: str, value: str, columns: int) -> list[str]:
    """A label on the left and its value on the right of one line, with at least one space between; when
    both do not fit, the label on its own line and the value, right-aligned, on the next (wrapped if the value
    alone is wider than the paper)."""
    if not value:
        return wrap(label, columns)
    if width(label) + 1 + width(value) <= columns:
        return [label + rjust(value, columns - width(label))]
    return wrap(label, columns) + [rjust(line, columns) for line in wrap(value, columns)]
