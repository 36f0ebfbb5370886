"""Sans-I/O framing: a 2-byte big-endian length, then the message (the length excludes the header)."""
from __future__ import annotations

from terminal.iso8583.dialect import MAX_MESSAGE
from terminal.link.errors import FrameError

HEADER = 2
MIN_MESSAGE = 4 + 8  # MTI and primary bitmap: anything shorter cannot be ISO 8583


def frame(message: bytes) -> bytes:
    if len(message) > MAX_MESSAGE:
        raise FrameError(f"message of {len(message)} bytes, larger than {MAX_MESSAGE}")
    return len(message).to_bytes(HEADER, "big") + message


class FrameDecoder:
    """Feed bytes as they arrive; whole messages come out. A bad length is raised at once, before the body
    arrives, so a hostile or broken peer cannot make us buffer 64 KiB of garbage."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        out = []
        while len(self._buf) >= HEADER:
            n = int.from_bytes(self._buf[:HEADER], "big")
            if n > MAX_MESSAGE:
                raise FrameError(f"frame announces {n} bytes, larger than {MAX_MESSAGE}")
            if n < MIN_MESSAGE:
                raise FrameError(f"frame announces {n} bytes, too short for an ISO 8583 message")
            if len(self._buf) < HEADER + n:
                break
            out.append(bytes(self._buf[HEADER:HEADER + n]))
            del self._buf[:HEADER + n]
        return out

    @property
    def pending(self) -> int:
        """Bytes of an unfinished frame: non-zero at EOF means the frame was cut short."""
        return len(self._buf)

    def eof(self) -> None:
        if self._buf:
            raise FrameError(f"connection closed {len(self._buf)} bytes into a frame (shorter than announced)")
