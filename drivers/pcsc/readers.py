"""Finding readers and waiting for a card, by polling pcscd (no monitor threads: they die with pcscd)."""
from __future__ import annotations

import time
from dataclasses import dataclass

from drivers.errors import NoCardError, NoDaemonError, NoReaderError, ReaderError
from drivers.pcsc.channel import PcscChannel
from drivers.pcsc.context import Context, scard
from drivers.pcsc.scard_errors import (
    SCARD_E_NO_READERS_AVAILABLE,
    SCARD_E_NO_SMARTCARD,
    SCARD_E_TIMEOUT,
    SCARD_E_UNKNOWN_READER,
    SCARD_W_REMOVED_CARD,
    check,
)

# How long one SCardGetStatusChange may block: short enough to notice a new reader or a pcscd restart soon.
POLL_SLICE_S = 0.25
DEFAULT_WAIT_S = 30.0


@dataclass(frozen=True)
class ReaderStatus:
    name: str
    card_present: bool
    atr: bytes | None  # None when no card (or a mute one)
    in_use: bool  # another application holds the card exclusively


def _list(ctx: int) -> list[str]:
    code, names = scard().SCardListReaders(ctx, [])
    if code & 0xFFFFFFFF == SCARD_E_NO_READERS_AVAILABLE:
        return []
    check(code, "list readers")
    return list(names)


def list_readers() -> list[str]:
    """Names of the PC/SC readers pcscd knows, in its order. NoDaemonError when pcscd is not running."""
    with Context() as ctx:
        return _list(ctx)


def _status(ctx: int, names: list[str], timeout_ms: int = 0, known: list[int] | None = None) -> list[tuple]:
    sc = scard()
    states = [(name, (known[i] if known else sc.SCARD_STATE_UNAWARE)) for i, name in enumerate(names)]
    code, result = sc.SCardGetStatusChange(ctx, timeout_ms, states)
    if code & 0xFFFFFFFF == SCARD_E_TIMEOUT:
        return []
    check(code, "reader status")
    return result


def _to_status(entry: tuple) -> ReaderStatus:
    sc = scard()
    name, state, atr = entry
    present = bool(state & sc.SCARD_STATE_PRESENT) and not state & sc.SCARD_STATE_MUTE
    return ReaderStatus(
        name=name,
        card_present=present,
        atr=bytes(atr) if present and atr else None,
        in_use=bool(state & sc.SCARD_STATE_EXCLUSIVE),
    )


def reader_statuses() -> list[ReaderStatus]:
    """Every reader with whether a card is in it and the card's ATR, without connecting to any card."""
    with Context() as ctx:
        names = _list(ctx)
        return [_to_status(entry) for entry in _status(ctx, names)] if names else []


def resolve_reader(wanted: str, names: list[str]) -> str:
    """The reader `wanted` names: an exact name, else the one reader whose name contains it (any case).
    `pcsc:ACR122` then finds 'ACS ACR122U PICC Interface 00 00'."""
    if wanted in names:
        return wanted
    matches = [n for n in names if wanted.lower() in n.lower()]
    if len(matches) == 1:
        return matches[0]
    seen = ", ".join(f"'{n}'" for n in names) or "none"
    if matches:
        raise NoReaderError(f"reader '{wanted}' is ambiguous: it matches {len(matches)} readers ({seen})")
    raise NoReaderError(f"reader '{wanted}' not found; readers present: {seen}")


def wait_for_card(
    reader: str | None = None,
    timeout: float = DEFAULT_WAIT_S,
    protocol: str | None = None,
    exclusive: bool = True,
) -> PcscChannel:
    """Wait up to `timeout` seconds for a card in `reader` (None: any reader) and connect to it.

    Raises NoDaemonError at once when pcscd is not running at the start (the operator must fix that first),
    and NoReaderError at once when a named reader is not among those present (naming them); a daemon that
    restarts during the wait is waited for. At the deadline: NoReaderError when the reader
    (or any reader) never appeared, NoCardError when it did but no card came. `protocol` may force 'T=0' or
    'T=1'; by default pcscd picks the card's first offered protocol."""
    deadline = time.monotonic() + timeout
    last_error: ReaderError | None = None
    first_attempt = True
    while True:
        try:
            channel = _try_connect(reader, deadline, protocol, exclusive)
            if channel is not None:
                return channel
            last_error = None  # this round saw the reader(s) and no card: that is the answer so far
        except NoDaemonError as exc:
            if first_attempt:
                raise
            last_error = exc
            time.sleep(min(POLL_SLICE_S, max(0.0, deadline - time.monotonic())))
        except NoReaderError as exc:
            if reader is not None and first_attempt:
                raise  # a named reader that is not there is said at once, with the readers that are
            last_error = exc  # any reader: one may be plugged in before the deadline
        except NoCardError as exc:
            last_error = exc  # the card may be freed before the deadline
        first_attempt = False
        if time.monotonic() >= deadline:
            break
    if last_error is not None:
        raise type(last_error)(f"{last_error} (waited {timeout:g} s)")
    where = f"reader '{reader}'" if reader else "any PC/SC reader"
    raise NoCardError(f"no card inserted in {where} within {timeout:g} s")


def _try_connect(reader: str | None, deadline: float, protocol: str | None, exclusive: bool) -> PcscChannel | None:
    """One polling round: connect if a card is there, else block in pcscd for at most one poll slice."""
    with Context() as ctx:
        names = _list(ctx)
        try:
            if reader is not None:
                names = [resolve_reader(reader, names)]
            elif not names:
                raise NoReaderError("no PC/SC reader is connected")
        except NoReaderError:
            time.sleep(min(POLL_SLICE_S, max(0.0, deadline - time.monotonic())))  # one poll, not a busy loop
            raise
        entries = _status(ctx, names)
        busy = []
        for entry in entries:
            status = _to_status(entry)
            if status.card_present and status.in_use:
                busy.append(status.name)
            elif status.card_present:
                try:
                    return PcscChannel(status.name, protocol=protocol, exclusive=exclusive)
                except ReaderError as exc:
                    if not _card_left(exc):
                        raise
        slice_ms = int(max(0.0, min(POLL_SLICE_S, deadline - time.monotonic())) * 1000)
        if slice_ms and entries:
            changed = scard().SCARD_STATE_CHANGED
            _status(ctx, names, slice_ms, known=[state & ~changed for _name, state, _atr in entries])
        if busy:
            raise NoCardError(f"reader '{busy[0]}': the card is in use by another application")
    return None


def _card_left(exc: ReaderError) -> bool:
    """A card that was pulled between 'present' and 'connect': keep waiting rather than fail."""
    return getattr(exc, "pcsc_code", None) in (SCARD_E_NO_SMARTCARD, SCARD_W_REMOVED_CARD, SCARD_E_UNKNOWN_READER)
