"""Answer-to-Reset decoding (ISO/IEC 7816-3 section 8), sans I/O.

The reader hands the terminal the ATR as bytes; this module turns them into what they say: the convention
(TS), the interface bytes TAi/TBi/TCi/TDi, the protocols offered, the historical bytes and whether the check
byte TCK is right. The driver needs only the protocol and the contactless flag; firmware_tools/atr.py
explains every field to a human.
"""
from __future__ import annotations

from dataclasses import dataclass

from drivers.errors import CardProtocolError

MAX_ATR_LENGTH = 33  # TS + 32 bytes (ISO 7816-3 8.2.1)
_CONVENTIONS = {0x3B: "direct", 0x3F: "inverse"}


class AtrError(CardProtocolError):
    """The bytes are not an ATR: bad TS, truncated interface bytes, too long."""


@dataclass(frozen=True)
class Atr:
    raw: bytes
    convention: str
    # In wire order, e.g. {'TA1': 0x11, 'TD1': 0x81, 'TD2': 0x31, 'TA3': 0xFE}.
    interface: dict[str, int]
    # Protocol numbers as offered by the TDi bytes (T=0 alone when there is no TD1), first one is the default.
    protocols: tuple[int, ...]
    historical: bytes
    # None when no TCK is present (T=0 only); tck_ok then None too.
    tck: int | None
    tck_ok: bool | None

    @property
    def default_protocol(self) -> int:
        return self.protocols[0]

    @property
    def contactless(self) -> bool:
        """A PC/SC part 3 contactless ATR: '3B 8n 80 01' + historical bytes + TCK, which a PC/SC reader
        synthesises for an ISO 14443 card (there is no real ATR on the contactless interface)."""
        return (
            self.convention == "direct"
            and self.interface == {"TD1": 0x80, "TD2": 0x01}
        )


def _take(raw: bytes, pos: int, name: str) -> int:
    if pos >= len(raw):
        raise AtrError(f"ATR {raw.hex().upper()} is truncated: {name} expected at byte {pos}, only {len(raw)} bytes")
    return raw[pos]


def decode_atr(raw: bytes) -> Atr:
    """Decode an ATR. Raises AtrError when the bytes cannot be one; a wrong TCK is reported, not raised."""
    raw = bytes(raw)
    if not raw:
        raise AtrError("ATR is empty: at least TS and T0 expected")
    if len(raw) > MAX_ATR_LENGTH:
        raise AtrError(f"ATR {raw.hex().upper()} has {len(raw)} bytes: at most {MAX_ATR_LENGTH} allowed")
    ts = raw[0]
    if ts not in _CONVENTIONS:
        raise AtrError(f"ATR {raw.hex().upper()}: TS={ts:02X}, expected 3B (direct) or 3F (inverse convention)")
    t0 = _take(raw, 1, "T0")
    historical_count = t0 & 0x0F
    indicator = t0 >> 4  # Y1: which of TA1 TB1 TC1 TD1 follow
    interface: dict[str, int] = {}
    protocols: list[int] = []
    pos, index = 2, 1
    while True:
        for bit, letter in ((0x1, "A"), (0x2, "B"), (0x4, "C"), (0x8, "D")):
            if indicator & bit:
                name = f"T{letter}{index}"
                interface[name] = _take(raw, pos, name)
                pos += 1
        if not indicator & 0x8:
            break
        td = interface[f"TD{index}"]
        if td & 0x0F not in protocols:
            protocols.append(td & 0x0F)
        indicator = td >> 4
        index += 1
    if not protocols:
        protocols.append(0)
    historical = raw[pos : pos + historical_count]
    if len(historical) < historical_count:
        raise AtrError(
            f"ATR {raw.hex().upper()} is truncated: T0 announces {historical_count} historical bytes, "
            f"only {len(historical)} follow"
        )
    pos += historical_count
    # TCK is present unless T=0 is the only protocol indicated (8.2.5).
    tck_present = any(p != 0 for p in protocols)
    tck: int | None = None
    tck_ok: bool | None = None
    if tck_present:
        tck = _take(raw, pos, "TCK")
        pos += 1
        check = 0
        for byte in raw[1:pos]:
            check ^= byte
        tck_ok = check == 0
    if pos != len(raw):
        raise AtrError(
            f"ATR {raw.hex().upper()} has {len(raw) - pos} byte(s) after the "
            f"{'TCK' if tck_present else 'historical bytes'}: the interface bytes do not account for them"
        )
    return Atr(raw, _CONVENTIONS[ts], interface, tuple(protocols), historical, tck, tck_ok)


def protocol_name(atr: bytes) -> str:
    """The CardChannel protocol name a card with this ATR gets by default: 'contactless', 'T=0' or 'T=1'."""
    decoded = decode_atr(atr)
    if decoded.contactless:
        return "contactless"
    return f"T={decoded.default_protocol}"
