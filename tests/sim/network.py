"""The simulated link between the terminal and SimHost: the HostLink interface, faults drawn from the seed.

Time is the simulation's ManualClock: an answer takes a drawn latency, a lost one takes the whole timeout,
and the wait ticks the terminal's `idle` callback every quarter second as HostLink does (the keypad is read
there), so operator keys land while the host is working. Nobody sleeps; a schedule replays from its seed.

Faults (each with its own probability per schedule, most schedules having few): refused connects, requests
lost, resets before and after the host acted, answers lost, answers delayed past the timeout (they arrive on a
later receive: late), answers duplicated, an earlier request's answer arriving ahead of the awaited one (out of order), forged answers (an approval
for the awaited STAN, MACed with a key the attacker guessed), bad MACs (a bit flipped on the way).
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from terminal.iso8583 import MacError, decode, encode
from terminal.link import ConnectError, LinkClosed, ResponseTimeout
from terminal.txn.clock import ManualClock
from tests.sim.dice import Dice, drawn
from tests.sim.host import SimHost

TICK_S = 0.25
FORGER_KEY = bytes(range(16))


@dataclass
class NetFaults:
    connect_refused: float = 0.0
    request_lost: float = 0.0
    reset_before_host: float = 0.0
    response_lost: float = 0.0
    response_late: float = 0.0          # delayed past the timeout: it comes on a later receive
    response_duplicated: float = 0.0
    out_of_order: float = 0.0           # the newest late answer comes first, ahead of older ones and ours
    reset_after_host: float = 0.0
    forged_answer: float = 0.0
    bad_mac: float = 0.0

    @classmethod
    def drawn(cls, rng: random.Random) -> "NetFaults":
        return drawn(cls, rng, 0.02, 0.3)


class SimNetwork(Dice):
    """One terminal's connection to the host (HostLink's interface: ensure_connected, send, receive, close)."""

    def __init__(self, rng: random.Random, faults: NetFaults, host: SimHost, clock: ManualClock, mac_key: bytes,
                 fired: Counter, log: list[str]) -> None:
        super().__init__(rng, faults, fired, log)
        self.host, self.clock, self.mac_key = host, clock, mac_key
        self.connected = False
        self.down = False                                  # an outage: every connect refused
        self._answer: tuple[float, bytes] | None = None   # (latency, frame) for the current request
        self._reset_pending = False
        self._late: list[bytes] = []                       # answers to earlier requests, still on their way
        self._stan = ""

    def ensure_connected(self) -> None:
        if self.down:
            raise ConnectError("sim: host unreachable (outage)")
        if not self.connected and self.fires("connect_refused"):
            raise ConnectError("sim: connection refused")
        self.connected = True

    def send(self, wire: bytes) -> None:
        if self._answer is not None:     # as HostLink does: unread bytes on an idle connection: start afresh
            self.close()
        self.ensure_connected()
        if self.fires("reset_before_host"):
            self.close()
            raise LinkClosed("sim: connection reset while sending")
        if self.fires("request_lost"):
            return
        try:
            request = decode(wire, self.mac_key)
        except MacError:
            raise AssertionError("the terminal sent a message with a bad MAC") from None
        self._stan = str(request.fields.get(11, ""))
        rmti, answer = self.host.handle(request)
        self.log.append(f"host got {request.mti} STAN {self._stan} -> {answer.get(39)}")
        frame = encode(rmti, answer, self.mac_key)
        if self.fires("bad_mac"):
            frame = frame[:-1] + bytes([frame[-1] ^ 1])
        if self.fires("reset_after_host"):
            self._reset_pending = True
        elif self.fires("response_lost"):
            pass
        elif self.fires("response_late"):
            if self._late and self.fires("out_of_order"):
                self._late.insert(0, frame)   # overtakes an earlier late answer
            else:
                self._late.append(frame)
        else:
            self._answer = (self.rng.uniform(0.05, 2.0), frame)
            if self.fires("response_duplicated"):
                self._late.append(frame)
        if not self._reset_pending and self.fires("forged_answer"):
            # an approval for the awaited STAN that beats the real answer (which then comes late, if at all)
            if self._answer is not None:
                self._late.append(self._answer[1])
            forged = {**answer, 39: "00", 38: "999999"}
            self._answer = (self.rng.uniform(0.05, 1.0), encode(rmti, forged, FORGER_KEY))

    def receive(self, timeout_s: float, idle=None) -> bytes:
        if self._late and self.fires("out_of_order"):
            self._wait(0.05, idle)   # the newest earlier answer first: ahead of the older ones, and of ours
            return self._late.pop()
        if self._late and self.rng.random() < 0.5:
            self._wait(0.05, idle)   # an earlier request's answer, late
            return self._late.pop(0)
        if self._reset_pending:
            self._reset_pending = False
            self._wait(self.rng.uniform(0.05, 1.0), idle)
            self.close()
            raise LinkClosed("sim: connection reset by the host")
        if self._answer is None or self._answer[0] > timeout_s:
            self._wait(timeout_s, idle)
            self.close()
            raise ResponseTimeout(f"sim: no response within {timeout_s:g} s")
        latency, frame = self._answer
        self._answer = None
        self._wait(latency, idle)
        return frame

    def _wait(self, seconds: float, idle) -> None:
        while seconds > 0:
            step = min(TICK_S, seconds)
            self.clock.advance(step)
            seconds -= step
            if idle is not None:
                idle()

    def exchange(self, wire: bytes, timeout_s: float) -> bytes:
        self.send(wire)
        return self.receive(timeout_s)

    def close(self) -> None:
        self.connected = False
        self._answer = None

    def crash(self) -> None:
        """The terminal died: its connection and whatever was on its way to it are gone."""
        self.close()
        self._reset_pending = False
        self._late.clear()

    def heal(self) -> None:
        """The faults stop, and nothing they caused is still on its way (a reset the host already sent)."""
        self.faults = NetFaults()
        self.crash()
