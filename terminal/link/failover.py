"""The acquirer's addresses, primary first: one connection at a time, to the most preferred address that works.

    link = FailoverLink([Endpoint.parse("primary:5000"), Endpoint.parse("backup:5000")])

It has HostLink's interface (ensure_connected, send, receive, exchange, close), so every caller of the one
exchange path (terminal/txn/exchange.py) gets failover without knowing it.

- **Connect** tries the addresses in order of preference, all within the first endpoint's `connect_timeout_s`:
  each try gets an equal share of what is left, so a primary that swallows SYNs costs half the budget (with two
  addresses), never all of it. A refused or timed-out connect sends nothing (ConnectError), so moving on to
  the next address is always safe.
- **Health** per address: a failure (connect refused or timed out, no answer, the connection lost) puts the
  address in backoff (1 s doubling to 60 s); an answer clears it. Addresses in backoff are tried after the
  healthy ones, never skipped (a flapping link must still be tried), and once the primary's backoff has run out
  the next request goes to it again: a recovered primary is preferred, the backup is left between requests.
- **What this module never does** is send a request again: a request that left on one address and got no
  answer is the caller's to resolve (a sale reverses it, and the reversal goes to whichever address works;
  docs/decisions.md). A send that fails on a stale socket is retried on a new connection to the same address
  only (client.py), so 'which address carried it' has one answer.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from terminal.link.client import Endpoint, HostLink
from terminal.link.errors import ConnectError, LinkClosed, LinkError, ResponseTimeout

BACKOFF_BASE_S, BACKOFF_MAX_S = 1.0, 60.0


@dataclass
class Health:
    """One address's record: failures in a row and when it may be preferred again (monotonic seconds)."""

    address: str
    failures: int = 0
    retry_at: float = 0.0
    last_error: str = ""

    def failed(self, now: float, why: str, base_s: float = BACKOFF_BASE_S) -> None:
        self.failures += 1
        self.retry_at = now + min(BACKOFF_MAX_S, base_s * 2 ** (self.failures - 1))
        self.last_error = why

    def ok(self) -> None:
        self.failures, self.retry_at, self.last_error = 0, 0.0, ""


@dataclass(frozen=True)
class LinkStatus:
    """What the operator is shown: 'online' (primary), 'backup' (a backup address), 'offline' (none could be
    reached: since when, wall clock), 'unknown' (nothing tried yet)."""

    state: str
    address: str = ""
    since: dt.datetime | None = None


class FailoverLink:
    def __init__(self, endpoints: Sequence[Endpoint], *, clock: Callable[[], float] = time.monotonic,
                 backoff_base_s: float = BACKOFF_BASE_S,
                 wall: Callable[[], dt.datetime] = lambda: dt.datetime.now().astimezone()) -> None:
        if not endpoints:
            raise ValueError("FailoverLink needs at least one address")
        self._setup([HostLink(ep) for ep in endpoints], endpoints[0].connect_timeout_s, clock, wall, backoff_base_s)

    @classmethod
    def over(cls, links: Sequence, connect_budget_s: float, *, clock: Callable[[], float] = time.monotonic,
             backoff_base_s: float = BACKOFF_BASE_S,
             wall: Callable[[], dt.datetime] = lambda: dt.datetime.now().astimezone()) -> "FailoverLink":
        """Failover over links already made, one per address, each with HostLink's per-address interface
        (address, connect(timeout_s), connected(), send, send_more, receive, receive_any, close): the
        simulation's networks (tests/sim)."""
        self = cls.__new__(cls)
        self._setup(list(links), connect_budget_s, clock, wall, backoff_base_s)
        return self

    def _setup(self, links: list, connect_budget_s: float, clock, wall, backoff_base_s: float) -> None:
        self.links = links
        self.health = [Health(link.address) for link in self.links]
        self.clock, self.wall, self.backoff_base_s = clock, wall, backoff_base_s
        self.connect_budget_s = connect_budget_s
        self._current: int | None = None     # the address of the open connection
        self._serving: int | None = None     # the address that last answered or accepted us
        self._offline_since: dt.datetime | None = None   # no address could be reached, since
        self._silent_since: dt.datetime | None = None    # a request left and got no answer, since
        self.last_address = ""               # the address the last request left on (journaled: who carried it)

    @property
    def address(self) -> str:
        """The address in use (or last used): what `posterm echo` names."""
        i = self._current if self._current is not None else (self._serving or 0)
        return self.links[i].address

    # -- connecting --------------------------------------------------------------------------------------
    def _order(self, now: float) -> list[int]:
        ready = [i for i, h in enumerate(self.health) if h.retry_at <= now]
        waiting = sorted((i for i, h in enumerate(self.health) if h.retry_at > now),
                         key=lambda i: (self.health[i].retry_at, i))
        return ready + waiting

    def ensure_connected(self) -> None:
        order = self._order(self.clock())
        if self._current is not None:
            if self._current == order[0] and self.links[self._current].connected():
                return
            self.links[self._current].close()  # stale, or a more preferred address is due again
            self._current = None
        deadline = time.monotonic() + self.connect_budget_s
        errors = []
        for k, i in enumerate(order):
            left = deadline - time.monotonic()
            if left <= 0:
                errors.append(f"{self.links[i].address}: not tried, connect budget of {self.connect_budget_s:g} s"
                              " used up")
                continue
            try:
                self.links[i].connect(left / (len(order) - k))
            except ConnectError as e:
                self.health[i].failed(self.clock(), str(e), self.backoff_base_s)
                errors.append(str(e))
                continue
            self._current = self._serving = i
            self._offline_since = None
            return
        if self._offline_since is None:
            self._offline_since = self.wall()
        if len(errors) == 1:
            raise ConnectError(errors[0])
        raise ConnectError(f"no address of the host could be reached: {'; '.join(errors)}")

    def _failed(self, why: str) -> None:
        if self._silent_since is None:
            self._silent_since = self.wall()
        if self._current is not None:
            self.health[self._current].failed(self.clock(), why, self.backoff_base_s)
            self.links[self._current].close()
            self._current = None

    def _answered(self) -> None:
        self._silent_since = None
        if self._current is not None:
            self.health[self._current].ok()

    # -- HostLink's interface --------------------------------------------------------------------------------
    def send(self, message: bytes) -> None:
        self.ensure_connected()
        assert self._current is not None
        self.last_address = self.links[self._current].address
        try:
            self.links[self._current].send(message)
        except LinkError as e:
            self._failed(str(e))
            raise

    def send_more(self, message: bytes) -> None:
        """Another request of a window on the connection in use (client.HostLink.send_more)."""
        link = self._link_in_use()
        self.last_address = link.address
        try:
            link.send_more(message)
        except LinkError as e:
            self._failed(str(e))
            raise

    def receive(self, timeout_s: float, idle: Callable[[], None] | None = None) -> bytes:
        link = self._link_in_use()
        try:
            raw = link.receive(timeout_s, idle=idle)
        except LinkError as e:
            self._failed(str(e))  # a host that accepts and never answers is not preferred next time
            raise
        self._answered()
        return raw

    def receive_any(self, timeout_s: float) -> list[bytes]:
        """Answers to a window of requests (client.HostLink.receive_any). A timeout here does not count
        against the address: the window's owner decides what a missing answer means."""
        link = self._link_in_use()
        try:
            frames = link.receive_any(timeout_s)
        except ResponseTimeout:
            raise
        except LinkError as e:
            self._failed(str(e))
            raise
        self._answered()
        return frames

    def _link_in_use(self) -> HostLink:
        if self._current is None:
            raise LinkClosed("no connection to receive on")
        return self.links[self._current]

    def exchange(self, message: bytes, timeout_s: float) -> bytes:
        self.send(message)
        return self.receive(timeout_s)

    def close(self) -> None:
        if self._current is not None:
            self.links[self._current].close()
            self._current = None

    # -- what the operator sees ----------------------------------------------------------------------------
    def status(self) -> LinkStatus:
        """Offline while no address can be reached or the last request got no answer (a host that accepts and
        never answers is no better than one that refuses), else online (the primary) or on a backup."""
        down = [t for t in (self._offline_since, self._silent_since) if t is not None]
        if down:
            return LinkStatus("offline", since=min(down))
        if self._serving is None:
            return LinkStatus("unknown")
        return LinkStatus("online" if self._serving == 0 else "backup", self.links[self._serving].address)
