"""Errors of the host dialect. A message names the field and what was expected, never card data."""
from __future__ import annotations


class MessageError(ValueError):
    """The bytes are not a message of our dialect (a protocol error: drop the connection, act on nothing)."""


class MacError(MessageError):
    """The MAC is missing or does not verify: the message is not acted on (host: 63; terminal: as no response)."""
