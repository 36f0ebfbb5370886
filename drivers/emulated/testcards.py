"""A VirtualCard that exercises the transport layer, not EMV: 61xx chains, 6Cxx, T=0 / T=1 ATRs, a command
that blocks until the test lets it go (to pull the card mid-APDU), and answers no card should give.

Commands (CLA 80), each chosen so a test can assert the exact bytes on both sides:
    A4 (any CLA)  SELECT: 9000 with an FCI of `select_response`; in T=0 mode via 61xx
    10 P1         ECHO: P1 bytes 00 01 02 ...; in T=0 mode 61xx first, and 6Cxx if GET RESPONSE asks wrong
    12            CHAIN: `chain_length` bytes, delivered by 61xx GET RESPONSE steps (61 00 = 256 each)
    14 Le         WRONG LE: 6C08 unless Le is 08, then 8 bytes 'FIXED-LE' and 9000
    16            SLOW: sets `slow_started`, waits for `slow_release` (or 30 s), then 9000
    18            ENDLESS: 6101 forever, also to every GET RESPONSE
    1A            SHORT: a 1-byte response '90' (no full status word)
    1C            STUBBORN: 6C04 to every form of the command
    1E Lc data    REVERSE: the data reversed (case 4); in T=0 mode via 61xx
anything else: 6D00.
"""
from __future__ import annotations

import threading

T0_ATR = bytes.fromhex("3B021450")  # T=0 only (no TD1), historical bytes 14 50, no TCK


def with_tck(atr_without_tck: bytes) -> bytes:
    """Append the check byte: XOR of T0 .. last historical byte makes the whole XOR zero."""
    tck = 0
    for byte in atr_without_tck[1:]:
        tck ^= byte
    return atr_without_tck + bytes((tck,))


# TA1=96 (Fi 512, Di 32), TD1=01 (T=1 only), 4 historical bytes 'TEST'; TCK appended.
T1_ATR = with_tck(bytes.fromhex("3B94960154455354"))
SLOW_WAIT_LIMIT_S = 30.0
SW_OK = b"\x90\x00"


class TransportTestCard:
    """Answers like a T=0 or a T=1 card; `commands` records every APDU it received, in order."""

    def __init__(self, protocol: str = "T=0", chain_length: int = 600, select_response: bytes | None = None):
        if protocol not in ("T=0", "T=1"):
            raise ValueError(f"protocol {protocol!r}: expected 'T=0' or 'T=1'")
        self.protocol = protocol
        self.chain_length = chain_length
        self.select_response = select_response or bytes.fromhex("6F0A8408") + b"TESTCARD"  # FCI, DF name
        self.commands: list[bytes] = []
        self.resets = 0
        self.slow_started = threading.Event()
        self.slow_release = threading.Event()
        self._pending = b""  # data waiting for GET RESPONSE

    # --- VirtualCard ---
    def atr(self) -> bytes:
        return T0_ATR if self.protocol == "T=0" else T1_ATR

    def reset(self) -> None:
        self.resets += 1
        self._pending = b""

    def process(self, apdu: bytes) -> bytes:
        apdu = bytes(apdu)
        self.commands.append(apdu)
        if len(apdu) < 4:
            return b"\x67\x00"
        ins = apdu[1]
        if ins == 0xC0:
            return self._get_response(apdu)
        if ins == 0xA4:
            return self._answer(self.select_response)
        handler = _HANDLERS.get(ins) if apdu[0] == 0x80 else None
        return handler(self, apdu) if handler else b"\x6D\x00"

    # --- T=0 delivery ---
    def _answer(self, data: bytes) -> bytes:
        """T=1 returns data and 9000 at once; T=0 announces it with 61xx and waits for GET RESPONSE."""
        if self.protocol == "T=1" or not data:
            return data + SW_OK
        self._pending = data
        return bytes((0x61, len(data) & 0xFF if len(data) < 256 else 0x00))

    def _get_response(self, apdu: bytes) -> bytes:
        if self._pending == b"ENDLESS":
            return b"\x61\x01"
        if not self._pending:
            return b"\x69\x85"  # conditions of use not satisfied: nothing to get
        le = apdu[4] if len(apdu) > 4 else 0
        wanted = le or 256
        if wanted > len(self._pending):
            return bytes((0x6C, len(self._pending) & 0xFF))
        chunk, self._pending = self._pending[:wanted], self._pending[wanted:]
        if self._pending:
            return chunk + bytes((0x61, len(self._pending) & 0xFF if len(self._pending) < 256 else 0x00))
        return chunk + SW_OK

    # --- commands ---
    def _echo(self, apdu: bytes) -> bytes:
        return self._answer(bytes(i & 0xFF for i in range(apdu[2])))

    def _chain(self, apdu: bytes) -> bytes:
        self._pending = bytes(i & 0xFF for i in range(self.chain_length))
        return b"\x61\x00" if self.chain_length >= 256 else bytes((0x61, self.chain_length))

    def _wrong_le(self, apdu: bytes) -> bytes:
        if len(apdu) == 5 and apdu[4] == 0x08:
            return b"FIXED-LE" + SW_OK
        return b"\x6C\x08"

    def _slow(self, apdu: bytes) -> bytes:
        self.slow_started.set()
        self.slow_release.wait(SLOW_WAIT_LIMIT_S)
        return SW_OK

    def _endless(self, apdu: bytes) -> bytes:
        self._pending = b"ENDLESS"
        return b"\x61\x01"

    def _short(self, apdu: bytes) -> bytes:
        return b"\x90"

    def _stubborn(self, apdu: bytes) -> bytes:
        return b"\x6C\x04"

    def _reverse(self, apdu: bytes) -> bytes:
        if len(apdu) < 6 or len(apdu) < 5 + apdu[4]:
            return b"\x67\x00"
        return self._answer(apdu[5 : 5 + apdu[4]][::-1])


_HANDLERS = {
    0x10: TransportTestCard._echo,
    0x12: TransportTestCard._chain,
    0x14: TransportTestCard._wrong_le,
    0x16: TransportTestCard._slow,
    0x18: TransportTestCard._endless,
    0x1A: TransportTestCard._short,
    0x1C: TransportTestCard._stubborn,
    0x1E: TransportTestCard._reverse,
}
