"""Typed errors of the serial magstripe driver. Every message names the port and what was expected; none
repeats track data (it may reach a log)."""
from __future__ import annotations

from drivers.errors import NoCardError, SerialReaderError


class PortUnavailableError(SerialReaderError):
    """The port could not be opened: missing device node, no permission, or busy."""


class ReaderDisconnectedError(SerialReaderError):
    """The port went away while in use: USB cable pulled, reader unplugged, pty master closed."""


class ReaderCommandError(SerialReaderError):
    """An MSR605-style reader rejected a command (status '2' command format error, '4' invalid command) or
    answered a command with something the protocol does not allow. A driver fault, not the card's."""


class NoSwipeError(SerialReaderError, NoCardError):
    """No swipe arrived before the deadline. Also a NoCardError, so callers can treat a serial reader's
    silence like an empty PC/SC slot."""


class ReaderSpecError(ValueError):
    """A `serial:DEVICE?key=value` reader spec that cannot be understood: a usage error (exit 2), not a
    device fault, so deliberately not a ReaderError."""
