"""`--reader replay:TRACE[?slot=N]`: a recorded APDU trace served as a card to the real pcscd through vpcd.

The trace's card is inserted into vpcd reader 'Virtual PCD 00 0N' (slot 0 by default: TCP 127.0.0.1:35963),
pcscd sees it, and the sale talks to it through the same PC/SC driver a USB reader uses. Matching of commands
to recorded answers is drivers/emulated/replay.py's (by header and order; see there and docs/firmware_tools.md).
Closing the channel removes the card; commands the trace could not answer are reported on stderr.
"""
from __future__ import annotations

import sys

from drivers.errors import NoReaderError
from firmware_tools.trace import TraceError, read_trace


def parse_arg(arg: str) -> tuple[str, int]:
    path, sep, query = arg.partition("?")
    slot = 0
    if sep:
        key, _, value = query.partition("=")
        if key != "slot" or value not in ("0", "1"):
            raise TraceError(f"replay:{arg}: expected replay:TRACE or replay:TRACE?slot=0|1")
        slot = int(value)
    if not path:
        raise TraceError("replay: needs the path of a trace file")
    return path, slot


class ReplayChannel:
    """A PC/SC channel to the replayed card; close() also pulls the card out of vpcd."""

    def __init__(self, channel, server, card) -> None:
        self._channel, self._server, self.card = channel, server, card

    @property
    def atr(self) -> bytes:
        return self._channel.atr

    @property
    def protocol(self) -> str:
        return self._channel.protocol

    def transmit(self, apdu: bytes) -> bytes:
        return self._channel.transmit(apdu)

    def close(self) -> None:
        try:
            self._channel.close()
        finally:
            self._server.stop()
        for line in self.card.divergences:
            print(f"posterm: replay: {line}", file=sys.stderr)


def open_replay(arg: str, timeout_s: float = 30.0) -> ReplayChannel:
    """Serve the trace to vpcd and connect to it through pcscd. TraceError for a bad trace; ReaderError when
    vpcd is not listening or pcscd does not see the card."""
    from drivers import pcsc
    from drivers.emulated.replay import ReplayCard
    from drivers.emulated.vpcd_client import VPCD_PORTS, VpcdCardServer

    path, slot = parse_arg(arg)
    trace = read_trace(path)
    if trace.atr is None:
        raise TraceError(f"trace {path}: no ATR line (a swipe, or the card never answered): nothing to replay")
    card = ReplayCard(trace.atr, [(e.command, e.response) for e in trace.exchanges])
    reader = list(VPCD_PORTS)[slot]
    contactless = trace.protocol == "contactless"
    server = VpcdCardServer(card, VPCD_PORTS[reader], contactless=contactless, contactless_atr=trace.atr).start()
    if not server.wait_connected(min(timeout_s, 5.0)):
        server.stop()
        raise NoReaderError(f"replay: vpcd reader '{reader}' (127.0.0.1:{VPCD_PORTS[reader]}) is not listening: "
                            "is pcscd running with vsmartcard-vpcd?")
    try:
        channel = pcsc.wait_for_card(reader, timeout_s)
    except BaseException:
        server.stop()
        raise
    return ReplayChannel(channel, server, card)
