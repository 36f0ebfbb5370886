"""The terminal's connection to the host: one request in flight, reconnect on demand, optional TLS.

A request either fails before anything was sent (ConnectError: safe to treat as 'host unreachable') or after
(ResponseTimeout, LinkClosed, FrameError: outcome unknown, the caller reverses). That split is the whole
point of this module, so the send is the only place that crosses from one to the other.
"""
from __future__ import annotations

import select
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Callable

from terminal.link.errors import ConnectError, FrameError, LinkClosed, ResponseTimeout
from terminal.link.framing import FrameDecoder, frame

IDLE_TICK_S = 0.05


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    connect_timeout_s: float = 10.0
    tls_ca_file: str | None = None
    tls_server_name: str | None = None
    tls_cert_file: str | None = None   # client certificate for mutual TLS, with its key
    tls_key_file: str | None = None

    @classmethod
    def parse(cls, address: str, **kw) -> "Endpoint":
        host, sep, port = address.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"host address {address!r}: expected HOST:PORT")
        return cls(host, int(port), **kw)


def tls_client_context(ep: Endpoint) -> ssl.SSLContext:
    """TLS as acquirers run it: the host's certificate verified against the configured CA and its name checked,
    TLS 1.2 at least, and the terminal's own certificate when the acquirer requires mutual TLS."""
    ctx = ssl.create_default_context(cafile=ep.tls_ca_file)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if ep.tls_cert_file:
        ctx.load_cert_chain(ep.tls_cert_file, ep.tls_key_file)
    return ctx


class HostLink:
    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._sock: socket.socket | None = None
        self._decoder = FrameDecoder()

    @property
    def address(self) -> str:
        return f"{self.endpoint.host}:{self.endpoint.port}"

    def _connect(self, timeout_s: float | None = None) -> socket.socket:
        """`timeout_s`: this attempt's share of the connect budget (failover.py), else the endpoint's own."""
        ep = self.endpoint
        try:
            sock = socket.create_connection((ep.host, ep.port), timeout=timeout_s or ep.connect_timeout_s)
        except OSError as e:
            raise ConnectError(f"cannot connect to host {ep.host}:{ep.port}: {e.strerror or e}") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ep.tls_ca_file:
            try:
                ctx = tls_client_context(ep)
            except (ssl.SSLError, OSError) as e:
                sock.close()
                raise ConnectError(f"TLS set-up for {ep.host}:{ep.port} failed: {e}") from None
            try:
                sock = ctx.wrap_socket(sock, server_hostname=ep.tls_server_name or ep.host)
            except (ssl.SSLError, OSError) as e:
                sock.close()
                raise ConnectError(f"TLS handshake with {ep.host}:{ep.port} failed: {e}") from None
        self._decoder = FrameDecoder()
        return sock

    def connected(self) -> bool:
        """A connection that can still be used; a stale one is closed here."""
        if self._sock is not None and self._stale(self._sock):
            self.close()
        return self._sock is not None

    def connect(self, timeout_s: float | None = None) -> None:
        self.close()
        self._sock = self._connect(timeout_s)

    def ensure_connected(self) -> None:
        if not self.connected():
            self.connect()

    @staticmethod
    def _stale(sock: socket.socket) -> bool:
        """An idle connection the host closed (EOF waiting) or that holds unsolicited bytes is not reused:
        sending on it would turn a harmless idle close into an unknown outcome and a needless reversal."""
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable)  # EOF, an error, or bytes nobody asked for: all mean start afresh

    def exchange(self, message: bytes, timeout_s: float) -> bytes:
        """Send one request and wait for one response frame. Raises ConnectError only before sending."""
        self.send(message)
        return self.receive(timeout_s)

    def send(self, message: bytes) -> None:
        """Put one request on the wire. ConnectError = nothing sent; any other LinkError = maybe sent."""
        self.ensure_connected()
        sock = self._sock
        assert sock is not None
        try:
            sock.sendall(frame(message))
        except OSError:
            # The host closed an idle connection: reconnect once. Whether the old socket delivered anything
            # cannot be known, but a failed sendall on a stale socket delivers nothing to a new host process.
            self.close()
            self._sock = sock = self._connect()
            try:
                sock.sendall(frame(message))
            except OSError as e:
                self.close()
                raise LinkClosed(f"connection lost while sending: {e}") from None

    def send_more(self, message: bytes) -> None:
        """Another request on the connection in use, whose answers to earlier requests may already be waiting
        (a store-and-forward window): no stale check, which would take those answers for unsolicited bytes."""
        if self._sock is None:
            raise LinkClosed("the connection under the window is gone")
        try:
            self._sock.sendall(frame(message))
        except OSError as e:
            self.close()
            raise LinkClosed(f"connection lost while sending: {e}") from None

    def receive(self, timeout_s: float, *, idle: Callable[[], None] | None = None) -> bytes:
        """Wait for the one response frame to the request just sent. `idle` runs every IDLE_TICK_S while
        nothing has come: the driver loop reads the keypad there, so an operator is never ignored."""
        frames = self._frames(timeout_s, idle, window=False)
        if len(frames) > 1 or self._decoder.pending:
            self.close()
            raise FrameError("host sent more than one response to one request")
        return frames[0]

    def receive_any(self, timeout_s: float) -> list[bytes]:
        """Whatever whole frames arrive within `timeout_s` (at least one, else ResponseTimeout, the connection
        kept): several requests may be outstanding on this connection (a store-and-forward window,
        txn/saf_window.py); the caller matches each answer to its request."""
        return self._frames(timeout_s, None, window=True)

    def _frames(self, timeout_s: float, idle: Callable[[], None] | None, *, window: bool) -> list[bytes]:
        deadline = time.monotonic() + timeout_s
        sock = self._sock
        if sock is None:
            raise LinkClosed("no connection to receive on")
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                if not window:
                    self.close()
                raise ResponseTimeout(f"no response within {timeout_s:g} s")
            sock.settimeout(left if idle is None else min(left, IDLE_TICK_S))
            try:
                data = sock.recv(65536)
            except (socket.timeout, TimeoutError):
                if idle is not None:
                    idle()
                continue
            except OSError as e:
                self.close()
                raise LinkClosed(f"connection lost while waiting for the response: {e}") from None
            if not data:
                try:
                    self._decoder.eof()
                except FrameError:
                    self.close()
                    raise
                self.close()
                raise LinkClosed("host closed the connection before responding")
            try:
                frames = self._decoder.feed(data)
            except FrameError:
                self.close()
                raise
            if frames:
                return frames

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None
