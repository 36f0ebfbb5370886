"""Serve a VirtualCard to the real pcscd through vsmartcard's vpcd reader driver.

vpcd listens on TCP (35963 for reader 'Virtual PCD 00 00', 35964 for 'Virtual PCD 00 01'); a card is
"inserted" by connecting to that port and "removed" by closing the connection. Every message either way is a
2-byte big-endian length and a payload. A 1-byte payload from vpcd is a control code (00 power off, 01 power
on, 02 reset, 04 'send your ATR', also used as the presence poll every ~400 ms); anything longer is a command
APDU and gets the response APDU back. Control codes other than 04 get no answer.

The wire protocol is `serve_connection` (one connection, no threads); `VpcdCardServer` adds the thread that
keeps a card inserted across pcscd restarts, and removal / re-insertion / contact-contactless switching on
command, so tests can pull the card in the middle of an APDU.
"""
from __future__ import annotations

import socket
import struct
import threading
import time
from typing import Callable

from drivers.card_channel import VirtualCard

VPCD_PORTS = {"Virtual PCD 00 00": 35963, "Virtual PCD 00 01": 35964}
POWER_OFF, POWER_ON, RESET, GET_ATR = 0x00, 0x01, 0x02, 0x04
# The ATR a PC/SC reader synthesises for a contactless card (PC/SC part 3, 3.1.3.2.3): 3B 8F 80 01, then the
# historical bytes 80 4F 0C + RID A000000306 + standard 03 (ISO 14443 A part 3) + card name 0003, then TCK.
CONTACTLESS_ATR = bytes.fromhex("3B8F8001804F0CA0000003060300030000000068")
# vpcd polls presence every ~400 ms: a card re-inserted sooner would look to pcscd as never removed.
REINSERT_GAP_S = 0.5

Connector = Callable[[], socket.socket]


class VpcdConnectionClosed(Exception):
    """vpcd closed the connection (pcscd stopped) or the card was removed: not an error of the card."""


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        # vpcd writes the length and the APDU in two sends: without QUICKACK each APDU waits for the
        # delayed ACK (~40 ms). Linux clears the flag after use, so it is set before every recv.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise VpcdConnectionClosed("vpcd closed the connection")
        data += chunk
    return bytes(data)


def _send_frame(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack(">H", len(payload)) + payload)


def serve_connection(sock: socket.socket, card: VirtualCard, atr: bytes) -> None:
    """Answer vpcd on `sock` until the connection closes. `atr` is what the card shows (its own, or the
    contactless one). Raises VpcdConnectionClosed (or OSError) when the connection ends."""
    while True:
        (length,) = struct.unpack(">H", _recv_exact(sock, 2))
        payload = _recv_exact(sock, length)
        if length == 1:
            code = payload[0]
            if code == GET_ATR:
                _send_frame(sock, atr)
            elif code in (POWER_ON, RESET):
                card.reset()
            # POWER_OFF and unknown control codes need no answer
            continue
        _send_frame(sock, bytes(card.process(payload)))


def tcp_connector(port: int, host: str = "127.0.0.1") -> Connector:
    def connect() -> socket.socket:
        sock = socket.create_connection((host, port), timeout=1.0)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    return connect


class VpcdCardServer:
    """A card kept in a vpcd reader by a background thread.

    `start()` inserts the card (connecting as soon as vpcd listens, and again after a pcscd restart);
    `remove()` pulls it (closes the connection, even in the middle of an APDU); `insert()` puts it (or another
    card) back; `set_contactless(True)` re-inserts it showing the contactless ATR; `stop()` ends the thread.
    `connector` makes the socket: tests pass one that connects inside a private network namespace."""

    def __init__(
        self,
        card: VirtualCard,
        port: int = 35963,
        *,
        contactless: bool = False,
        contactless_atr: bytes = CONTACTLESS_ATR,
        connector: Connector | None = None,
        retry_interval: float = 0.02,
        reinsert_gap: float = REINSERT_GAP_S,
    ) -> None:
        self.card = card
        self.port = port
        self.contactless = contactless
        self.contactless_atr = contactless_atr
        self._connect = connector or tcp_connector(port)
        self._retry_interval = retry_interval
        self._reinsert_gap = reinsert_gap
        self._lock = threading.Condition()
        self._inserted = False
        self._stopping = False
        self._sock: socket.socket | None = None
        self._removed_at = 0.0
        self._connections = 0
        self.last_connected_at: float | None = None  # time.monotonic() of the latest insertion
        self._thread: threading.Thread | None = None

    # --- control (any thread) ---------------------------------------------------------------------------
    def start(self, inserted: bool = True) -> "VpcdCardServer":
        self._thread = threading.Thread(target=self._run, name=f"vpcd-card-{self.port}", daemon=True)
        with self._lock:
            self._inserted = inserted
        self._thread.start()
        return self

    @property
    def atr(self) -> bytes:
        return self.contactless_atr if self.contactless else self.card.atr()

    @property
    def inserted(self) -> bool:
        return self._inserted

    @property
    def connections(self) -> int:
        """How many times the card has connected to vpcd (each is one insertion as pcscd sees it)."""
        return self._connections

    def remove(self) -> None:
        """Pull the card: the connection closes now, also in the middle of an APDU."""
        with self._lock:
            self._inserted = False
            self._removed_at = time.monotonic()
            self._close_socket()
            self._lock.notify_all()

    def insert(self, card: VirtualCard | None = None, *, contactless: bool | None = None) -> None:
        """Put the card (or `card`) back, as contact or contactless; waits out vpcd's poll after a removal."""
        if self._inserted:
            self.remove()
        gap = self._removed_at + self._reinsert_gap - time.monotonic()
        if gap > 0:
            time.sleep(gap)
        with self._lock:
            if card is not None:
                self.card = card
            if contactless is not None:
                self.contactless = contactless
            self._inserted = True
            self._lock.notify_all()

    def set_contactless(self, contactless: bool) -> None:
        """Switch between the contact and the contactless interface (a remove and a re-insert)."""
        self.insert(contactless=contactless)

    def wait_connected(self, timeout: float = 10.0) -> bool:
        """True once the card is connected to vpcd (pcscd will see it at its next poll)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._sock is None and time.monotonic() < deadline:
                self._lock.wait(0.05)
            return self._sock is not None

    def stop(self) -> None:
        """End the thread and close the connection; safe to call twice."""
        with self._lock:
            self._stopping = True
            self._inserted = False
            self._close_socket()
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> "VpcdCardServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _close_socket(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._sock.close()
            self._sock = None

    # --- the serving thread -------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._inserted and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    return
            sock = self._try_connect()
            if sock is None:
                time.sleep(self._retry_interval)  # vpcd not listening yet (pcscd starting or restarting)
                continue
            with self._lock:
                if not self._inserted or self._stopping:
                    sock.close()
                    continue
                self._sock = sock
                self._connections += 1
                self.last_connected_at = time.monotonic()
                self._lock.notify_all()
            try:
                serve_connection(sock, self.card, self.atr)
            except (VpcdConnectionClosed, OSError):
                pass
            with self._lock:
                if self._sock is sock:
                    self._close_socket()

    def _try_connect(self) -> socket.socket | None:
        try:
            return self._connect()
        except OSError:
            return None
