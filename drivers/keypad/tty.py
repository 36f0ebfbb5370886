"""A terminal as the keypad: the tty in raw input mode, bytes decoded into key names, then mapped to keys.

Raw input mode here means: no line buffering (ICANON), no echo, no signals (ISIG: Ctrl-C arrives as a byte and
maps to QUIT, so leaving restores the tty through the normal path), no CR->NL or flow control translation.
Output processing (OPOST) is kept so the screen can still be written with plain newlines. The previous
settings are restored on close, always.

Escape is both a key (CANCEL by default) and the start of the sequences that F1-F4 and arrows send, so a lone
ESC byte is only taken for the ESC key once no further byte follows within `escape_wait` seconds.
"""
from __future__ import annotations

import contextlib
import termios
import time
from collections import deque
from collections.abc import Mapping

from drivers.keypad.errors import KeypadDeviceError
from drivers.keypad.fdread import read_when_ready
from drivers.keypad.keymap import DEFAULT_TTY_MAP

# SS3 (ESC O x) and CSI (ESC [ params final) sequences terminals send for the keys a keypad uses.
_SEQUENCES: dict[bytes, str] = {
    b"\x1bOP": "F1",
    b"\x1bOQ": "F2",
    b"\x1bOR": "F3",
    b"\x1bOS": "F4",
    b"\x1b[11~": "F1",
    b"\x1b[12~": "F2",
    b"\x1b[13~": "F3",
    b"\x1b[14~": "F4",
    b"\x1b[3~": "DELETE",
    b"\x1bOM": "ENTER",  # keypad Enter in application keypad mode
}
_SINGLE: dict[int, str] = {0x0D: "ENTER", 0x0A: "ENTER", 0x7F: "BACKSPACE", 0x08: "BACKSPACE", 0x03: "CTRL-C"}


def _sequence_end(data: bytes) -> int | None:
    """Length of the escape sequence at the start of `data`, or None if it is not complete yet."""
    if len(data) < 2:
        return None
    if data[1:2] == b"O":
        return 3 if len(data) >= 3 else None
    if data[1:2] == b"[":
        for i in range(2, len(data)):
            if 0x40 <= data[i] <= 0x7E:
                return i + 1
        return None
    return 1  # ESC followed by an ordinary byte: the ESC key, then that byte


def decode_tty(data: bytes, *, final: bool = False) -> tuple[list[str], bytes]:
    """Key names in `data` (see keymap.TTY_KEY_NAMES; printable ASCII as itself) and the undecided tail: an
    incomplete escape sequence. With `final`, a pending lone ESC is taken as the ESC key."""
    names: list[str] = []
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == 0x1B:
            length = _sequence_end(data[i:])
            if length is None:
                if final and len(data) - i == 1:
                    names.append("ESC")
                    i += 1
                    continue
                if final:  # an incomplete sequence that will never complete: drop it
                    break
                return names, data[i:]
            sequence = data[i : i + length]
            names.append("ESC" if length == 1 else _SEQUENCES.get(sequence, ""))
            i += length
        elif byte == 0x0A and i > 0 and data[i - 1] == 0x0D:
            i += 1  # CR LF is one Enter
        elif byte in _SINGLE:
            names.append(_SINGLE[byte])
            i += 1
        elif 0x20 <= byte < 0x7F:
            names.append(chr(byte))
            i += 1
        else:
            i += 1  # other control bytes and non-ASCII: not keypad keys
    return [n for n in names if n], b""


class TtyKeySource:
    """Keys typed at a terminal. Use as a context manager (or call close) so the tty is restored."""

    def __init__(
        self,
        fd: int,
        keymap: Mapping[str, str] | None = None,
        *,
        escape_wait: float = 0.05,
    ) -> None:
        self._fd: int | None = fd
        self._keymap = dict(DEFAULT_TTY_MAP if keymap is None else keymap)
        self._escape_wait = escape_wait
        self._pending: deque[str] = deque()
        self._tail = b""
        try:
            self._saved = termios.tcgetattr(fd)
        except termios.error as exc:
            raise KeypadDeviceError(f"keypad tty fd {fd}: not a terminal ({exc.args[-1]})") from exc
        raw = termios.tcgetattr(fd)
        raw[0] &= ~(termios.ICRNL | termios.INLCR | termios.IGNCR | termios.IXON | termios.ISTRIP)
        raw[3] &= ~(termios.ICANON | termios.ECHO | termios.ISIG | termios.IEXTEN)
        raw[6][termios.VMIN] = 1
        raw[6][termios.VTIME] = 0
        termios.tcsetattr(fd, termios.TCSADRAIN, raw)

    def read(self, timeout: float | None) -> str | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._pending:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if self._tail:  # a lone ESC waits a moment for the rest of its sequence
                remaining = self._escape_wait if remaining is None else min(remaining, self._escape_wait)
            if not self._fill(remaining):
                if self._tail:
                    self._take(*decode_tty(self._tail, final=True))
                    continue
                return None
        return self._pending.popleft()

    def _take(self, names: list[str], tail: bytes) -> None:
        self._tail = tail
        self._pending.extend(self._keymap[n] for n in names if n in self._keymap)

    def _fill(self, timeout: float | None) -> bool:
        data = read_when_ready(self._fd, 256, timeout, "keypad tty")
        if data is None:
            return False
        self._take(*decode_tty(self._tail + data))
        return True

    def close(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(termios.error):  # a terminal that is gone has nothing to restore
            termios.tcsetattr(fd, termios.TCSADRAIN, self._saved)

    def __enter__(self) -> "TtyKeySource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
