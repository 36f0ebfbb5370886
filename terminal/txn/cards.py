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
    def close(self) -> None: ...


class KnownCard:
    def __init__(self, card: CardInput) -> None:
        self.card = card

    def wait(self, sequence_counter: Callable[[], int]) -> CardKnown:
        return CardKnown(self.card)

    def transmit(self, apdu: bytes) -> bytes:
        raise ReaderError("no card to talk to: the card data was given")

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

    def close(self) -> None:
        pass


class ChipReader:
    """A CardChannel, opened by `open()` when the sale waits for the card (pcsc waits for insertion there)."""

    def __init__(self, open: Callable[[], object]) -> None:
        self._open = open
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

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()
            self.channel = None
