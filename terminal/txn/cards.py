"""Where a sale's card comes from, as the driver loop sees it: wait for it, then talk to it (chip) or not.

Three sources, one shape: a chip reader (contact or contactless; the kernel talks to the card through
`transmit`), a magstripe reader (one swipe), and card data already in hand (a void, tests, benchmarks).
Opening the device is the caller's: these only wrap what it opened, so drivers stay imported lazily.
"""
from __future__ import annotations

from typing import Callable, Protocol

from drivers.errors import ReaderError
from terminal.card.chip_first import SwipedTracks
from terminal.txn.core import CardFault, CardKnown, ChipPresented, Swiped
from terminal.txn.records import CardInput


class CardSource(Protocol):
    def wait(self, sequence_counter: Callable[[], int]) -> CardKnown | Swiped | ChipPresented | CardFault: ...
    def transmit(self, apdu: bytes) -> bytes: ...
    def present_again(self) -> bool: ...
    def close(self) -> None: ...


class KnownCard:
    def __init__(self, card: CardInput) -> None:
        self.card = card

    def wait(self, sequence_counter: Callable[[], int]) -> CardKnown:
        return CardKnown(self.card)

    def transmit(self, apdu: bytes) -> bytes:
        raise ReaderError("no card to talk to: the card data was given")

    def present_again(self) -> bool:
        return False

    def close(self) -> None:
        pass


class SwipeReader:
    """One swipe from `read()` (a serial reader, or an emulated magstripe)."""

    def __init__(self, read: Callable[[], SwipedTracks]) -> None:
        self._read = read

    def wait(self, sequence_counter: Callable[[], int]) -> Swiped | CardFault:
        try:
            return Swiped(self._read())
        except ReaderError as e:
            return CardFault(str(e) or type(e).__name__)

    def transmit(self, apdu: bytes) -> bytes:
        raise ReaderError("a magstripe reader has no chip to talk to")

    def present_again(self) -> bool:
        return False

    def close(self) -> None:
        pass


class ChipReader:
    """A CardChannel, opened by `open()` when the sale waits for the card (pcsc waits for insertion there).
    `reopen(channel)` opens it again for a second presentation of the same card (Book C-3 issuer update):
    by default the channel is closed and `open()` waits for a card again; an in-process emulated card is
    presented again by wrapping the same card object (its counters and last cryptogram live on)."""

    def __init__(self, open: Callable[[], object], reopen: Callable[[object], object] | None = None) -> None:
        self._open = open
        self._reopen = reopen
        self.channel = None

    def wait(self, sequence_counter: Callable[[], int]) -> ChipPresented | CardFault:
        try:
            self.channel = self._open()
        except ReaderError as e:
            return CardFault(str(e) or type(e).__name__)
        return ChipPresented(self.channel.protocol == "contactless", sequence_counter())

    def transmit(self, apdu: bytes) -> bytes:
        if self.channel is None:
            raise ReaderError("no card in the reader")
        return self.channel.transmit(apdu)

    def present_again(self) -> bool:
        """True once a card is in the field again; False when none came within the opener's timeout."""
        old, self.channel = self.channel, None
        if old is not None:
            old.close()
        try:
            self.channel = self._reopen(old) if self._reopen is not None and old is not None else self._open()
        except ReaderError:
            return False
        return True

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()
            self.channel = None
