"""Reading a keypad's file descriptor with a timeout: the one piece of I/O the evdev and tty sources share."""
from __future__ import annotations

import errno
import os
import select

from drivers.keypad.errors import KeypadDeviceError, KeySourceExhausted


def read_when_ready(fd: int | None, size: int, timeout: float | None, name: str) -> bytes | None:
    """Up to `size` bytes once `fd` is readable within `timeout` seconds (None: no limit); None when nothing
    came in time. End of input raises KeySourceExhausted, a failed read KeypadDeviceError, both naming `name`."""
    if fd is None:
        raise KeypadDeviceError(f"{name}: read after close")
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return None
    try:
        data = os.read(fd, size)
    except BlockingIOError:
        return b""  # woken without data: the caller goes round again
    except OSError as exc:
        if exc.errno in (errno.ENODEV, errno.EIO):
            raise KeypadDeviceError(f"{name}: device gone ({exc.strerror})") from exc
        raise KeypadDeviceError(f"{name}: read failed ({exc.strerror})") from exc
    if not data:
        raise KeySourceExhausted(f"{name}: end of input")
    return data
