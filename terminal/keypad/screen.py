"""What the operator sees: a three-line screen, and its rendering for a text terminal.

The state machine produces `Screen` values and never draws; a run loop renders them for whatever display the
POS has. `render_lines` draws the boxed text-terminal version `posterm run` shows.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from terminal.i18n import width as cols
from terminal.i18n.text import _

SCREEN_WIDTH = 32
"""Columns inside the box: the width of a typical POS text display, doubled for readability. A Chinese
character takes two of them (terminal/i18n/width.py)."""


@dataclass(frozen=True)
class Screen:
    title: str  # what the terminal is doing or asking ("ENTER AMOUNT")
    value: str  # the thing being typed or shown ("CNY 1.23", "****")
    message: str  # one line of guidance or refusal ("Max CNY 1000.00")


def render_lines(screen: Screen, width: int = SCREEN_WIDTH, banner: str = "") -> list[str]:
    """The screen as text lines: title left, value right-aligned (as POS amount displays do), message left;
    padded by display columns, so a line of Chinese ends at the same edge as a line of English. A banner
    (training mode's TRAINING) sits in the top border, where no state's text can push it out."""
    border = "+" + "-" * (width + 2) + "+"
    top = border
    if banner:
        label = f" {cols.fit(banner, width - 2)} "
        top = "+-" + label + "-" * (width + 1 - cols.width(label)) + "+"
    return [
        top,
        f"| {cols.ljust(cols.fit(screen.title, width), width)} |",
        f"| {cols.rjust(cols.fit(screen.value, width), width)} |",
        f"| {cols.ljust(cols.fit(screen.message, width), width)} |",
        border,
    ]


def key_help() -> str:
    return _("keys: 0-9  Backspace=CLEAR  Esc=CANCEL  Enter=ENTER  F1-F4  Ctrl-C=quit")


def _beside(box: list[str], receipt: list[str], gap: int = 3) -> list[str]:
    """The receipt to the right of the box when the terminal is wide enough (a slip is some 30 lines: under the
    box it would push the box off a 24-line screen), else under it."""
    if not receipt:
        return box
    import shutil
    left = max(cols.width(line) for line in box)
    if left + gap + max(cols.width(line) for line in receipt) > shutil.get_terminal_size().columns:
        return [*box, "", *receipt]
    rows = max(len(box), len(receipt))
    padded = box + [""] * (rows - len(box))
    return [(cols.ljust(b, left) + " " * gap + r).rstrip() if r else b
            for b, r in zip(padded, receipt + [""] * (rows - len(receipt)))]


class TextDisplay:
    """Draws screens on a text terminal. `redraw=True` clears and repaints in place (a real tty); otherwise
    each changed screen is printed below the last (a log, a pipe, a script run)."""

    def __init__(self, write: Callable[[str], object], flush: Callable[[], object], *, redraw: bool,
                 banner: str = "") -> None:
        self._write, self._flush, self._redraw = write, flush, redraw
        self.banner = banner   # in the box's top border on every screen (training mode: TRAINING)
        self.header: list[str] = []   # lines kept above the box on a redrawn screen (a drill's task)
        self._last: Screen | None = None
        self._status = ""
        self._receipt: list[str] = []

    def show(self, screen: Screen, status: str = "") -> None:
        """`status`: a line under the box (the READY screen's link and backlog, terminal/txn/link_watch.py)."""
        if screen == self._last and status == self._status:
            return
        self._last, self._status = screen, status
        lines = render_lines(screen, banner=self.banner) + ([status] if status else [])
        if self._redraw:
            body = [key_help(), "", *self.header, *([""] if self.header else []), *_beside(lines, self._receipt)]
            self._write("\x1b[H\x1b[2J" + "\r\n".join(body) + "\r\n")
        else:
            self._write("\n".join(lines) + "\n")
        self._flush()

    def clear_receipt(self) -> None:
        """A new sale starts on a clean screen: the last sale's receipt is gone from under the box."""
        if self._receipt:
            self._receipt = []
            if self._redraw and self._last is not None:
                last, self._last = self._last, None
                self.show(last, self._status)

    def show_receipt(self, lines: list[str]) -> None:
        """Receipt lines, kept on screen under the box until the next receipt."""
        self._receipt = [_("RECEIPT"), *lines]
        if not self._redraw:
            self._write("\n".join(self._receipt) + "\n")
            self._flush()
        elif self._last is not None:
            last, self._last = self._last, None
            self.show(last, self._status)
