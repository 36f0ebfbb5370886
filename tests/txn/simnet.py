"""A simulated network and host for the deterministic simulation of the transaction engine.

The engine does its I/O through two seams, the journal and the link; here the link is replaced by SimLink,
which hands every request to the real host logic (terminal/hostsim/logic.py, real MAC checks, real ledger) and
injects faults drawn from a seeded random.Random. Timeouts are decided, never waited for, so a schedule of ten
sales runs in milliseconds and replays exactly from its seed.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from terminal.hostsim.ledger import Ledger
from terminal.hostsim.logic import HostLogic, HostPolicy
from terminal.iso8583 import MacError, decode, encode
from terminal.link import ConnectError, LinkClosed, ResponseTimeout


class SimCrash(BaseException):
    """The terminal process dies here (BaseException: no `except Exception` in the engine may swallow it)."""


@dataclass
class Faults:
    connect_fail: float = 0.0
    lose_request: float = 0.0
    reset_before_host: float = 0.0
    lose_response: float = 0.0
    late_response: float = 0.0     # arrives only after the terminal gave up: on the next receive
    duplicate_response: float = 0.0
    bad_mac: float = 0.0
    reset_after_host: float = 0.0
    crash: float = 0.0             # at each crash point

    @classmethod
    def random(cls, rng: random.Random) -> "Faults":
        pick = lambda hi: rng.choice([0.0, 0.0, rng.uniform(0, hi)])  # noqa: E731 - many schedules hit few faults
        return cls(pick(0.3), pick(0.3), pick(0.2), pick(0.3), pick(0.3), pick(0.2), pick(0.2), pick(0.2), pick(0.15))


@dataclass
class SimLink:
    rng: random.Random
    faults: Faults
    mac_key: bytes
    logic: HostLogic = field(default_factory=lambda: HostLogic(Ledger(), HostPolicy()))
    log: list[str] = field(default_factory=list)
    _pending: list[bytes] = field(default_factory=list)   # frames waiting on the current connection
    _stale: list[bytes] = field(default_factory=list)     # late/duplicate frames for the next receive
    connected: bool = False

    def _roll(self, p: float) -> bool:
        return p > 0 and self.rng.random() < p

    def ensure_connected(self) -> None:
        if not self.connected and self._roll(self.faults.connect_fail):
            self.log.append("connect refused")
            raise ConnectError("sim: connect refused")
        self.connected = True

    def send(self, wire: bytes) -> None:
        f = self.faults
        if self._pending:  # as HostLink does: unread bytes on an idle connection mean start afresh
            self.log.append("stale answer dropped, reconnect")
            self.close()
        self.ensure_connected()
        if self._roll(f.reset_before_host):
            self.log.append("reset before the host")
            self.close()
            raise LinkClosed("sim: reset while sending")
        if self._roll(f.lose_request):
            self.log.append("request lost")
            return
        try:
            req = decode(wire, self.mac_key)
        except MacError:
            raise AssertionError("the terminal sent a message with a bad MAC") from None
        rmti, fields = self.logic.handle(req)
        self.log.append(f"host got {req.mti} STAN {req.fields.get(11)} pc {req.fields.get(3)} -> {fields.get(39)}")
        out = encode(rmti, fields, self.mac_key)
        if self._roll(f.bad_mac):
            out = out[:-1] + bytes([out[-1] ^ 1])
        if self._roll(f.reset_after_host):
            self.log.append("reset after the host")
            self._pending.append(b"RESET")
        elif self._roll(f.lose_response):
            self.log.append("response lost")
        elif self._roll(f.late_response):
            self.log.append("response late")
            self._stale.append(out)
        else:
            self._pending.append(out)
            if self._roll(f.duplicate_response):
                self.log.append("response duplicated")
                self._stale.append(out)

    def receive(self, timeout_s: float, idle=None) -> bytes:
        if self._stale and self.rng.random() < 0.5:
            return self._stale.pop(0)  # a late or duplicated answer to an earlier request
        if not self._pending:
            self.close()
            raise ResponseTimeout(f"sim: no response within {timeout_s:g} s")
        out = self._pending.pop(0)
        if out == b"RESET":
            self.close()
            raise LinkClosed("sim: connection reset")
        return out

    def exchange(self, wire: bytes, timeout_s: float) -> bytes:
        self.send(wire)
        return self.receive(timeout_s)

    def close(self) -> None:
        self.connected = False
        self._pending.clear()

    def crash(self) -> None:
        """The terminal died: its connection and anything in flight to it are gone."""
        self.close()
        self._stale.clear()

    def heal(self) -> None:
        self.faults = Faults()
        self._stale.clear()
