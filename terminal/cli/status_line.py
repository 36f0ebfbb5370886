"""One status line on stderr, rewritten in place, while the terminal waits (for a card, for the host). Only on
a terminal and never with --json: a script reading stderr gets nothing extra."""
from __future__ import annotations

import sys
import threading
import time

from terminal.i18n.text import _


class StatusLine:
    def __init__(self, stream=None, card_timeout_s: float = 30.0) -> None:
        self.stream = stream or sys.stderr
        self.card_timeout_s = card_timeout_s
        self._shown = ""
        self._lock = threading.Lock()
        self._card_stop: threading.Event | None = None

    @staticmethod
    def wanted(args) -> bool:
        try:
            return not getattr(args, "json", False) and sys.stderr.isatty()
        except (AttributeError, ValueError):
            return False

    def show(self, text: str) -> None:
        with self._lock:
            if text == self._shown:
                return
            self._shown = text
            try:
                self.stream.write("\r\x1b[K" + text)
                self.stream.flush()
            except OSError:
                pass

    def clear(self) -> None:
        self.show("")

    def __call__(self, what: str | None, elapsed_s: float, total_s: float) -> None:
        """The driver loop's progress callback (terminal/txn/loop.py Driver.progress)."""
        if what == "host":
            self.show(_("waiting for the host: {elapsed} of {total} s", elapsed=int(elapsed_s), total=f"{total_s:g}"))
        elif what == "saf":
            self.show(_("delivering to the host: {done} of {total}", done=int(elapsed_s), total=int(total_s)))
        elif what == "settle":
            self.show(_("settling the batch with the host ..."))
        elif what == "card":
            self._start_card_countdown()
        elif what == "card_again":       # contactless issuer update: the second tap
            self._stop_card_countdown()
            self.show(_("PRESENT CARD AGAIN"))
        else:
            self._stop_card_countdown()
            self.clear()

    def _start_card_countdown(self) -> None:
        stop = self._card_stop = threading.Event()
        deadline = time.monotonic() + self.card_timeout_s

        def tick() -> None:
            while not stop.is_set():
                self.show(_("insert, tap or swipe: {left} s", left=max(0, round(deadline - time.monotonic()))))
                stop.wait(1.0)
        threading.Thread(target=tick, name="status-line", daemon=True).start()

    def _stop_card_countdown(self) -> None:
        if self._card_stop is not None:
            self._card_stop.set()
            self._card_stop = None
