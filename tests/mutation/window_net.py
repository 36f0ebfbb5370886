"""A connection to the simulation's host that holds many requests at once, for the store-and-forward window
(terminal/txn/saf_window.py), in this process and on the ManualClock, so mutmut sees every step.

The simulation's SimNetwork answers one request at a time; the window needs HostLink's other half
(send_more, receive_any). Here each request is answered by the real SimHost (real ISO 8583, real MACs) the
moment it leaves, and its answer arrives `latency` seconds later (per MTI and STAN in `latency_of`; None:
the answer is lost). receive_any returns every answer that has arrived, waiting for the first one as a
socket would, and the clock moves by the wait. `log` is the wire as the terminal saw it: every request that
left and every answer it was handed, in order, which is what the window's ordering rules are about.
"""
from __future__ import annotations

from typing import Callable

from terminal.iso8583 import Message, decode, encode
from terminal.link import ConnectError, LinkClosed, ResponseTimeout
from terminal.txn.clock import ManualClock
from tests.sim.host import SimHost

MAX_RECEIVES = 200   # a drain that keeps waiting after this never ends: fail the test instead of hanging


class WindowNet:
    def __init__(self, host: SimHost, clock: ManualClock, mac_key: bytes) -> None:
        self.host, self.clock, self.mac_key = host, clock, mac_key
        self.address = ""                   # HostLink has one; '' as the simulated network
        self.connected = False
        self.down = False                   # an outage: every connect refused
        self.clock_moves = True             # False: the wait passes and the ManualClock does not (a real socket)
        self.latency = 0.1
        self.latency_of: dict[tuple[str, str], float | None] = {}   # (request MTI, STAN) -> seconds, None: lost
        self.code_of: dict[str, str] = {}   # STAN -> the response code the host answers instead
        # (request, the answer's MTI, the answer's fields) -> the frames that arrive instead of the answer
        self.rewrite: Callable[[Message, str, dict], list[bytes]] | None = None
        self.cut_send: int | None = None    # the n-th send_more (1-based) is cut: connection reset
        self.cut_receive: int | None = None  # the n-th receive_any is cut: connection reset
        self.on_send: Callable[[Message], None] = lambda m: None
        self.on_answer: Callable[[tuple[str, str]], None] = lambda a: None
        self.log: list[tuple[str, str, str]] = []   # ("send", MTI, STAN) / ("answer", MTI, STAN)
        self.closes = 0
        self.window_reads = self.single_reads = 0   # receive_any (the window's) / receive (one request's)
        self._sends = self._receives = self._seq = 0
        self._on_the_way: list[tuple[float, int, bytes, tuple[str, str]]] = []   # (arrival, seq, frame, label)

    # -- HostLink's interface ---------------------------------------------------------------------------------
    def ensure_connected(self) -> None:
        if self.down:
            raise ConnectError("window: host unreachable")
        if self.connected and any(at <= self.clock.monotonic() for at, *_ in self._on_the_way):
            self.close()    # bytes nobody asked for are waiting: HostLink starts afresh (its stale check)
        self.connected = True

    def send_more(self, wire: bytes) -> None:
        if not self.connected:
            raise LinkClosed("the connection under the window is gone")
        self._sends += 1
        if self._sends == self.cut_send:
            self.close()
            raise LinkClosed("window: connection reset while sending")
        request = decode(wire, self.mac_key)
        stan = str(request.fields[11])
        self.log.append(("send", request.mti, stan))
        self.on_send(request)
        rmti, fields = self.host.handle(request)
        if stan in self.code_of:
            fields[39] = self.code_of[stan]
        latency = self.latency_of.get((request.mti, stan), self.latency)
        if latency is None:
            return
        frames = self.rewrite(request, rmti, fields) if self.rewrite else [encode(rmti, fields, self.mac_key)]
        for frame in frames:
            self._seq += 1
            self._on_the_way.append((self.clock.monotonic() + latency, self._seq, frame, (rmti, stan)))

    def send(self, wire: bytes) -> None:
        """One request alone (the serial drain's way): on a fresh connection if unread bytes wait."""
        self.ensure_connected()
        self.send_more(wire)

    def receive(self, timeout_s: float, *, idle=None) -> bytes:
        """The one answer to the request just sent (the serial drain's way)."""
        self.single_reads += 1
        return self._read(timeout_s)[0]

    def receive_any(self, timeout_s: float) -> list[bytes]:
        self.window_reads += 1
        return self._read(timeout_s)

    def _read(self, timeout_s: float) -> list[bytes]:
        self._receives += 1
        assert self._receives <= MAX_RECEIVES, "the drain keeps waiting and never ends"
        if not self.connected:
            raise LinkClosed("no connection to receive on")
        if self._receives == self.cut_receive:
            self.close()
            raise LinkClosed("window: connection reset by the host")
        now = self.clock.monotonic()
        first = min((at for at, *_ in self._on_the_way), default=None)
        if first is None or first > now + timeout_s:
            self._wait(timeout_s)
            raise ResponseTimeout(f"window: no response within {timeout_s:g} s")
        self._wait(max(0.0, first - now))
        now = max(now, first)
        arrived = sorted(a for a in self._on_the_way if a[0] <= now)
        self._on_the_way = [a for a in self._on_the_way if a[0] > now]
        for *_, label in arrived:
            self.log.append(("answer", *label))
            self.on_answer(label)
        return [frame for _, _, frame, _ in arrived]

    def close(self) -> None:
        self.closes += self.connected
        self.connected = False
        self._on_the_way.clear()    # whatever was on its way on that connection is gone with it

    def _wait(self, seconds: float) -> None:
        if self.clock_moves:
            self.clock.advance(seconds)
