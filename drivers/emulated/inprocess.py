"""A CardChannel around a VirtualCard in the same process: no daemon, no sockets, same transport rules.

Unit tests and `--reader emulated:PROFILE` use it; the card answers exactly what it would put on the wire and
drivers/t0_transport.py turns 61xx / 6Cxx into one response, as the PC/SC channel does. `remove()` pulls the
card: every later transmit raises CardRemovedError, like a card pulled from a real reader.
"""
from __future__ import annotations

from drivers import t0_transport
from drivers.card_channel import VirtualCard
from drivers.emulated.vpcd_client import CONTACTLESS_ATR
from drivers.errors import CardRemovedError
from drivers.pcsc.atr import protocol_name

_PROTOCOLS = ("T=0", "T=1", "contactless")


class InProcessChannel:
    """A powered-up VirtualCard. `protocol` defaults to what the card's ATR offers first; 'contactless' makes
    the channel show the PC/SC contactless ATR instead of the card's own, as a contactless reader does."""

    def __init__(self, card: VirtualCard, protocol: str | None = None, reader: str = "emulated") -> None:
        if protocol is not None and protocol not in _PROTOCOLS:
            raise ValueError(f"protocol {protocol!r}: expected one of {', '.join(_PROTOCOLS)}")
        self.card = card
        self.reader = reader
        card.reset()
        self._protocol = protocol or protocol_name(card.atr())
        self._atr = CONTACTLESS_ATR if self._protocol == "contactless" else bytes(card.atr())
        self._present = True
        self._closed = False
        self.exchanges = 0  # raw APDUs sent, GET RESPONSEs included

    @property
    def atr(self) -> bytes:
        return self._atr

    @property
    def protocol(self) -> str:
        return self._protocol

    @property
    def present(self) -> bool:
        return self._present

    def remove(self) -> None:
        """Pull the card out: later exchanges raise CardRemovedError."""
        self._present = False

    def transmit_raw(self, apdu: bytes) -> bytes:
        if self._closed:
            raise CardRemovedError(f"reader '{self.reader}': transmit on a closed channel")
        if not self._present:
            raise CardRemovedError(
                f"reader '{self.reader}': the card was removed before {bytes(apdu[:4]).hex().upper()}"
            )
        self.exchanges += 1
        return bytes(self.card.process(bytes(apdu)))

    def transmit(self, apdu: bytes) -> bytes:
        return t0_transport.exchange(bytes(apdu), self.transmit_raw)

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> "InProcessChannel":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
