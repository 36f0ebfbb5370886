"""The acquirer at two addresses, for the simulation: two SimNetworks (each with its own drawn faults) in front of
the one SimHost, behind the real FailoverLink (terminal/link/failover.py), so a schedule runs the terminal's
failover and its store-and-forward window ([saf] window) the way `posterm run` does.

SimAddress gives a SimNetwork the per-address interface FailoverLink drives (connect, connected, send_more,
receive_any). A window is simulated the simulation's way: each request's answer (or its loss, a late answer of
an earlier request, a reset) is taken off the network as the request is sent, and receive_any hands back what
came, in the network's order; a lost answer costs the timeout in simulated time, as the serial receive does.
"""
from __future__ import annotations

import random
from collections import Counter

from terminal.link import LinkError, ResponseTimeout
from terminal.link.failover import FailoverLink
from terminal.txn.clock import ManualClock
from tests.sim.host import SimHost
from tests.sim.network import NetFaults, SimNetwork

ADDRESSES = ("10.0.0.1:5000", "10.0.0.2:5000")


class SimAddress:
    def __init__(self, net: SimNetwork, address: str, timeout_s: float) -> None:
        self.net, self.address, self.timeout_s = net, address, timeout_s
        self._came: list[bytes] = []           # answers of the window, in the order the network gave them
        self._broken: LinkError | None = None  # how the window's connection ended, told at the next receive

    def connected(self) -> bool:
        return self.net.connected

    def connect(self, timeout_s: float | None = None) -> None:
        self.net.close()
        self._came, self._broken = [], None
        self.net.ensure_connected()

    def send(self, wire: bytes) -> None:
        self._came, self._broken = [], None
        self.net.send(wire)

    def receive(self, timeout_s: float, idle=None) -> bytes:
        return self.net.receive(timeout_s, idle)

    def send_more(self, wire: bytes) -> None:
        if self._broken is not None:
            raise self._broken
        self.net.send(wire)
        try:
            self._came.append(self.net.receive(self.timeout_s))
        except ResponseTimeout:
            pass  # this one's answer is lost: the window finds out at its deadline
        except LinkError as e:
            self._broken = e

    def receive_any(self, timeout_s: float) -> list[bytes]:
        if self._came:
            came, self._came = self._came, []
            return came
        if self._broken is not None:
            broken, self._broken = self._broken, None
            raise broken
        self.net._wait(timeout_s, None)
        raise ResponseTimeout(f"sim: no answer within {timeout_s:g} s")

    def close(self) -> None:
        self.net.close()


class SimAcquirer(FailoverLink):
    """FailoverLink over two simulated addresses, with the World's network controls (down, crash, heal)."""

    nets: list[SimNetwork]
    rng: random.Random

    @property
    def down(self) -> bool:
        return self.nets[0].down

    @down.setter
    def down(self, value: bool) -> None:
        """An outage takes the primary down, and the backup too in half of them."""
        self.nets[0].down = value
        self.nets[1].down = value and self.rng.random() < 0.5

    def crash(self) -> None:
        self.close()
        for net in self.nets:
            net.crash()

    def heal(self) -> None:
        for net in self.nets:
            net.heal()


def sim_acquirer(rng: random.Random, backup_rng: random.Random, primary_faults: NetFaults, host: SimHost,
                 clock: ManualClock, mac_key: bytes, fired: Counter, log: list[str], timeout_s: float) -> SimAcquirer:
    """The primary draws from the schedule's Random, the backup (its faults, its outages) from `backup_rng`."""
    nets = [SimNetwork(rng, primary_faults, host, clock, mac_key, fired, log),
            SimNetwork(backup_rng, NetFaults.drawn(backup_rng), host, clock, mac_key, fired, log)]
    link = SimAcquirer.over([SimAddress(net, a, timeout_s) for net, a in zip(nets, ADDRESSES)], 10.0,
                            clock=clock.monotonic)
    link.nets, link.rng = nets, backup_rng
    return link
