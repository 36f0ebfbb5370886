"""The link to the acquirer: 2-byte length framing over TCP (TLS optional), timeouts, reconnect on demand."""
from terminal.link.errors import ConnectError, FrameError, LinkClosed, LinkError, ResponseTimeout
from terminal.link.framing import FrameDecoder, frame

__all__ = ["ConnectError", "FrameError", "LinkClosed", "LinkError", "ResponseTimeout", "FrameDecoder", "frame"]
