"""The two seams every chip-card path goes through, whatever the hardware.

A terminal-side kernel talks to a `CardChannel` (a connected card: PC/SC reader or in-process emulation) and
never to pyscard directly, so the EMV kernel runs unchanged against a USB reader, pcscd+vpcd, or an in-process
card. An emulated card is a `VirtualCard`: it answers command APDUs with response APDUs, and the same object
can be served in process or to the real pcscd through vpcd.
"""
from __future__ import annotations

from typing import Protocol


class CardChannel(Protocol):
    """A connected card. `transmit` has already done the T=0 transport rules (61xx GET RESPONSE, 6Cxx re-send
    with Le): callers see one response APDU, data followed by SW1 SW2."""

    @property
    def atr(self) -> bytes: ...

    @property
    def protocol(self) -> str:
        """'T=0' or 'T=1' (contact), or 'contactless'."""
        ...

    def transmit(self, apdu: bytes) -> bytes: ...

    def close(self) -> None: ...


class VirtualCard(Protocol):
    """An emulated card's application logic: no sockets, no readers."""

    def atr(self) -> bytes: ...

    def reset(self) -> None:
        """Power-on or warm reset: selected application and session state are cleared."""
        ...

    def process(self, apdu: bytes) -> bytes:
        """Answer one command APDU with the raw response APDU (data + SW1 SW2), exactly as the card would put
        it on the wire (so a T=0 card may answer 61xx or 6Cxx)."""
        ...
