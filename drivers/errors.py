"""Typed errors of the hardware edge. Each message names the reader or port and what was expected."""
from __future__ import annotations


class ReaderError(Exception):
    """Any failure of a reader, card or port. Exit code 4 at the command line."""


class NoDaemonError(ReaderError):
    """pcscd is not running or not reachable."""


class NoReaderError(ReaderError):
    """No reader, or not the reader that was named."""


class NoCardError(ReaderError):
    """No card in the reader (or none arrived within the wait)."""


class CardRemovedError(ReaderError):
    """The card left the reader during an exchange."""


class CardProtocolError(ReaderError):
    """The card or reader answered something the transport rules do not allow."""


class SerialReaderError(ReaderError):
    """A serial magstripe reader failed: port missing, cable pulled, garbage that cannot be framed."""
