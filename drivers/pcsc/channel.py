"""A connected card on a PC/SC reader: the CardChannel of drivers/card_channel.py over pyscard."""
from __future__ import annotations

from drivers import t0_transport
from drivers.errors import CardProtocolError, CardRemovedError
from drivers.pcsc.atr import AtrError, decode_atr
from drivers.pcsc.context import Context, scard
from drivers.pcsc.scard_errors import SCARD_E_TIMEOUT, check

# vpcd notices a card's departure at its next presence poll (~400 ms); a USB reader at once.
REMOVAL_NOTICE_MS = 2500
PROTOCOL_NAMES = {1: "T=0", 2: "T=1"}  # SCARD_PROTOCOL_T0, SCARD_PROTOCOL_T1
_PROTOCOL_FLAGS = {"T=0": 1, "T=1": 2, None: 1 | 2}


class PcscChannel:
    """A card connected through pcscd. `transmit` applies the T=0 transport rules (61xx, 6Cxx).

    The channel owns its PC/SC context: after a pcscd restart it raises NoDaemonError on every call and the
    caller opens a new one (drivers.pcsc.wait_for_card)."""

    def __init__(self, reader: str, protocol: str | None = None, exclusive: bool = True) -> None:
        if protocol not in _PROTOCOL_FLAGS:
            raise ValueError(f"protocol {protocol!r}: expected 'T=0', 'T=1' or None (either)")
        sc = scard()
        self.reader = reader
        self._context = Context()
        self._context.establish()
        share = sc.SCARD_SHARE_EXCLUSIVE if exclusive else sc.SCARD_SHARE_SHARED
        try:
            code, self._card, active = sc.SCardConnect(
                self._context.handle, reader, share, _PROTOCOL_FLAGS[protocol]
            )
            check(code, "connect", reader)
        except BaseException:
            self._context.release()
            raise
        self._active = active
        self._pci = sc.SCARD_PCI_T0 if active == sc.SCARD_PROTOCOL_T0 else sc.SCARD_PCI_T1
        self._closed = False
        try:
            self._atr = self._read_atr()
        except BaseException:  # the card left between connect and status: give back handle and context
            self.close()
            raise

    def _read_atr(self) -> bytes:
        code, _reader, _state, _protocol, atr = scard().SCardStatus(self._card)
        check(code, "status", self.reader)
        return bytes(atr)

    @property
    def atr(self) -> bytes:
        return self._atr

    @property
    def transport_protocol(self) -> str:
        """What pcscd negotiated with the card: 'T=0' or 'T=1' (a contactless card shows as T=1)."""
        return PROTOCOL_NAMES.get(self._active, f"protocol {self._active}")

    @property
    def protocol(self) -> str:
        try:
            if decode_atr(self._atr).contactless:
                return "contactless"
        except AtrError:
            pass  # a reader-synthesised or broken ATR: the negotiated protocol is still right
        return self.transport_protocol

    def transmit_raw(self, apdu: bytes) -> bytes:
        """One SCardTransmit, no transport rules: the response exactly as the card gave it."""
        if self._closed:
            raise CardRemovedError(f"reader '{self.reader}': transmit on a closed channel")
        code, response = scard().SCardTransmit(self._card, self._pci, list(apdu))
        check(code, f"transmit {bytes(apdu[:4]).hex().upper()}", self.reader)
        response = bytes(response)
        if len(response) < 2:
            raise self._short_response_error(apdu, response)
        return response

    def _short_response_error(self, apdu: bytes, response: bytes) -> Exception:
        """pcscd reports success with no status word when vpcd loses the card mid-exchange (a real card's empty
        answer never gets that far): tell removal apart from a card that answered garbage by waiting briefly
        for pcscd to notice the card is gone."""
        command = bytes(apdu[:4]).hex().upper()
        if self._card_left_within(REMOVAL_NOTICE_MS):
            return CardRemovedError(f"reader '{self.reader}': the card was removed during {command} (no valid response)")
        return CardProtocolError(
            f"reader '{self.reader}': card answered {len(response)} byte(s) to {command}, a response needs SW1 SW2"
        )

    def _card_left_within(self, timeout_ms: int) -> bool:
        sc = scard()
        code, states = sc.SCardGetStatusChange(self._context.handle, 0, [(self.reader, sc.SCARD_STATE_UNAWARE)])
        if code & 0xFFFFFFFF:
            return True  # reader or daemon gone: the card is as good as removed
        state = states[0][1]
        if not state & sc.SCARD_STATE_PRESENT:
            return True
        code, states = sc.SCardGetStatusChange(
            self._context.handle, timeout_ms, [(self.reader, state & ~sc.SCARD_STATE_CHANGED)]
        )
        return code & 0xFFFFFFFF != SCARD_E_TIMEOUT and not (code == 0 and states[0][1] & sc.SCARD_STATE_PRESENT)

    def transmit(self, apdu: bytes) -> bytes:
        return t0_transport.exchange(bytes(apdu), self.transmit_raw)

    def close(self) -> None:
        """Disconnect and release the context; safe to call twice or after the card or daemon went away."""
        if self._closed:
            return
        self._closed = True
        sc = scard()
        sc.SCardDisconnect(self._card, sc.SCARD_LEAVE_CARD)
        self._context.release()

    def __enter__(self) -> "PcscChannel":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PcscChannel(reader={self.reader!r}, protocol={self.protocol!r}, atr={self._atr.hex().upper()})"

