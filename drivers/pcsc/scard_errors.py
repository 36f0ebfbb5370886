"""PC/SC return codes -> the reader error hierarchy of drivers/errors.py, with messages that name the reader.

pcsc-lite reports everything as an HRESULT-style code; the terminal needs to know only which of a few things
went wrong (daemon gone, reader gone, no card, card pulled, card or reader misbehaving), so that is all this
table keeps. The codes are those of pcsc-lite's pcsclite.h (the same values as Windows winscard)."""
from __future__ import annotations

import os

from drivers.errors import (
    CardProtocolError,
    CardRemovedError,
    NoCardError,
    NoDaemonError,
    NoReaderError,
    ReaderError,
)

SCARD_S_SUCCESS = 0x00000000
SCARD_E_CANCELLED = 0x80100002
SCARD_E_INVALID_HANDLE = 0x80100003
SCARD_E_UNKNOWN_READER = 0x80100009
SCARD_E_TIMEOUT = 0x8010000A
SCARD_E_SHARING_VIOLATION = 0x8010000B
SCARD_E_NO_SMARTCARD = 0x8010000C
SCARD_E_PROTO_MISMATCH = 0x8010000F
SCARD_F_COMM_ERROR = 0x80100013
SCARD_E_NOT_TRANSACTED = 0x80100016
SCARD_E_READER_UNAVAILABLE = 0x80100017
SCARD_E_NO_SERVICE = 0x8010001D
SCARD_E_SERVICE_STOPPED = 0x8010001E
SCARD_E_NO_READERS_AVAILABLE = 0x8010002E
SCARD_W_UNRESPONSIVE_CARD = 0x80100066
SCARD_W_UNPOWERED_CARD = 0x80100067
SCARD_W_RESET_CARD = 0x80100068
SCARD_W_REMOVED_CARD = 0x80100069

# code -> (error type, what it means for the operator)
_MEANING: dict[int, tuple[type[ReaderError], str]] = {
    SCARD_E_NO_SERVICE: (NoDaemonError, "pcscd (the PC/SC daemon) is not running"),
    SCARD_E_SERVICE_STOPPED: (NoDaemonError, "pcscd (the PC/SC daemon) stopped"),
    SCARD_F_COMM_ERROR: (NoDaemonError, "the connection to pcscd (the PC/SC daemon) broke"),
    SCARD_E_INVALID_HANDLE: (NoDaemonError, "the connection is no longer valid (pcscd was restarted)"),
    SCARD_E_NO_READERS_AVAILABLE: (NoReaderError, "no PC/SC reader is connected"),
    SCARD_E_UNKNOWN_READER: (NoReaderError, "the reader is not known to pcscd"),
    SCARD_E_READER_UNAVAILABLE: (NoReaderError, "the reader was unplugged or is unavailable"),
    SCARD_E_NO_SMARTCARD: (NoCardError, "no card in the reader"),
    SCARD_E_TIMEOUT: (NoCardError, "no card arrived before the timeout"),
    SCARD_W_REMOVED_CARD: (CardRemovedError, "the card was removed"),
    SCARD_E_NOT_TRANSACTED: (CardRemovedError, "the exchange failed: the card was removed or stopped answering"),
    SCARD_W_RESET_CARD: (CardRemovedError, "the card was reset by another application"),
    SCARD_W_UNPOWERED_CARD: (CardRemovedError, "the card is not powered"),
    SCARD_W_UNRESPONSIVE_CARD: (CardProtocolError, "the card does not answer the reset (mute card)"),
    SCARD_E_PROTO_MISMATCH: (CardProtocolError, "the card does not offer the requested protocol"),
    SCARD_E_SHARING_VIOLATION: (ReaderError, "the card is in use by another application"),
    SCARD_E_CANCELLED: (ReaderError, "the request was cancelled"),
}


def socket_name() -> str:
    """Where the client library looks for pcscd (PCSCLITE_CSOCK_NAME overrides the default)."""
    return os.environ.get("PCSCLITE_CSOCK_NAME", "/run/pcscd/pcscd.comm")


def describe(code: int) -> str:
    return f"0x{code & 0xFFFFFFFF:08X}"


def error_for(code: int, action: str | None, reader: str | None = None) -> ReaderError:
    """The typed error for a failed PC/SC call: `action` says what the terminal was doing, e.g.
    "reader 'ACS ACR38U 00 00': the card was removed during transmit 00B2010C (0x80100069)"."""
    code &= 0xFFFFFFFF
    error_type, meaning = _MEANING.get(code, (ReaderError, "unexpected PC/SC error"))
    where = f"reader '{reader}'" if reader else "PC/SC"
    message = f"{where}: {meaning}" + (f" during {action}" if action else "") + f" ({describe(code)})"
    if error_type is NoDaemonError:
        message += f"; socket {socket_name()}"
    error = error_type(message)
    error.pcsc_code = code  # type: ignore[attr-defined]  # lets callers tell 'card left' from 'reader broke'
    return error


def check(code: int, action: str | None, reader: str | None = None) -> None:
    """Raise the typed error unless `code` is success."""
    if code & 0xFFFFFFFF != SCARD_S_SUCCESS:
        raise error_for(code, action, reader)
