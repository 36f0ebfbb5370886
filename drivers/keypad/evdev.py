"""Linux input events (/dev/input/eventN) as a key source, without python-evdev.

The kernel hands out `struct input_event { struct timeval time; __u16 type; __u16 code; __s32 value; }`
records; on 64-bit Linux that is native "llHHi", 24 bytes. Only EV_KEY records with value 1 (key down) become
keys: value 0 (key up) and value 2 (the kernel's auto-repeat while a key is held) are dropped, so holding a key
never types it twice. The device is grabbed with EVIOCGRAB so key presses do not also reach a console or a
login prompt on the POS box.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from drivers.keypad.errors import KeypadDeviceError
from drivers.keypad.fdread import read_when_ready
from drivers.keypad.keymap import DEFAULT_EVDEV_MAP

INPUT_EVENT = struct.Struct("@llHHi")
"""struct input_event with the native C long of this machine (24 bytes on 64-bit)."""

EV_SYN, EV_KEY, EV_MSC = 0x00, 0x01, 0x04
KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2

# _IOW('E', 0x90, int): direction write (1 << 30), size 4 (<< 16), type 'E' (<< 8), number 0x90.
EVIOCGRAB = (1 << 30) | (struct.calcsize("i") << 16) | (ord("E") << 8) | 0x90


@dataclass(frozen=True)
class InputEvent:
    seconds: int
    microseconds: int
    type: int
    code: int
    value: int

    def pack(self) -> bytes:
        """The record exactly as the kernel writes it (tests and recordings use this)."""
        return INPUT_EVENT.pack(self.seconds, self.microseconds, self.type, self.code, self.value)


def parse_events(data: bytes) -> tuple[list[InputEvent], bytes]:
    """Whole input_event records in `data`, and the bytes of a trailing partial record (kept for the next
    read: a pipe or a slow reader may split a record)."""
    whole = len(data) - len(data) % INPUT_EVENT.size
    events = [InputEvent(*fields) for fields in INPUT_EVENT.iter_unpack(data[:whole])]
    return events, data[whole:]


def key_of(event: InputEvent, keymap: Mapping[int, str]) -> str | None:
    """The keypad key a record stands for: key-down records of mapped codes only."""
    if event.type != EV_KEY or event.value != KEY_DOWN:
        return None
    return keymap.get(event.code)


class EvdevKeySource:
    """Keys from a Linux input device node (or any file or FIFO holding input_event records).

    `grab=True` takes the device for this process alone (EVIOCGRAB); a pipe or a plain file cannot be grabbed,
    so recordings are replayed with grab=False. `ioctl` is injectable only so the grab can be checked where no
    /dev/input device exists.
    """

    def __init__(
        self,
        path: str,
        keymap: Mapping[int, str] | None = None,
        *,
        grab: bool = True,
        ioctl: Callable[[int, int, int], object] = fcntl.ioctl,
    ) -> None:
        self.path = path
        self._keymap = dict(DEFAULT_EVDEV_MAP if keymap is None else keymap)
        self._ioctl = ioctl
        self._pending: deque[str] = deque()
        self._partial = b""
        self._grabbed = False
        try:
            self._fd: int | None = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            raise KeypadDeviceError(f"keypad device {path}: cannot open ({exc.strerror})") from exc
        if grab:
            try:
                ioctl(self._fd, EVIOCGRAB, 1)
            except OSError as exc:
                self.close()
                raise KeypadDeviceError(
                    f"keypad device {path}: EVIOCGRAB refused ({exc.strerror}); another program holds it "
                    "or it is not an input device"
                ) from exc
            self._grabbed = True

    def read(self, timeout: float | None) -> str | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._pending:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self._fill(remaining):
                return None
        return self._pending.popleft()

    def _fill(self, timeout: float | None) -> bool:
        """Read what the device has (waiting up to `timeout`); False when nothing came in time."""
        data = read_when_ready(self._fd, INPUT_EVENT.size * 64, timeout, f"keypad device {self.path}")
        if data is None:
            return False
        events, self._partial = parse_events(self._partial + data)
        self._pending.extend(k for k in (key_of(e, self._keymap) for e in events) if k is not None)
        return True

    def close(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        if self._grabbed:
            with contextlib.suppress(OSError):  # a device that went away has nothing left to release
                self._ioctl(fd, EVIOCGRAB, 0)
        os.close(fd)

    def __enter__(self) -> "EvdevKeySource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
