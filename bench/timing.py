"""A card channel that times each transmit with the clock a benchmark needs (wall or process time)."""
from __future__ import annotations

import time
from typing import Callable


class TimedChannel:
    def __init__(self, inner, clock: Callable[[], float] = time.perf_counter) -> None:
        self.inner, self.clock = inner, clock
        self.times: list[float] = []
        self.atr, self.protocol = inner.atr, inner.protocol

    @property
    def spent(self) -> float:
        return sum(self.times)

    def transmit(self, apdu: bytes) -> bytes:
        start = self.clock()
        try:
            return self.inner.transmit(apdu)
        finally:
            self.times.append(self.clock() - start)

    def close(self) -> None:
        self.inner.close()
