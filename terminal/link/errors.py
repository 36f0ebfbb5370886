"""Errors of the link. A request may or may not have reached the host: callers decide by where it failed."""
from __future__ import annotations


class LinkError(Exception):
    """Any failure of the connection to the host."""


class ConnectError(LinkError):
    """Could not connect (refused, unreachable, connect timeout, TLS failure): nothing was sent."""


class ResponseTimeout(LinkError):
    """The request was sent and no response came within the timeout: its outcome is unknown."""


class LinkClosed(LinkError):
    """The host closed the connection (or it was reset)."""


class FrameError(LinkError):
    """A frame broke the rules of host-interface.md (oversize, cut short, not ISO 8583): connection dropped."""
