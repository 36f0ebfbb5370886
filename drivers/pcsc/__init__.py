"""PC/SC readers through pcscd, on pyscard (imported lazily, when a reader is first used).

    channel = open_spec("pcsc")                # first reader with a card, waiting up to 30 s
    channel = open_spec("pcsc:ACR122", 10)     # the reader whose name is or contains 'ACR122'
    channel.transmit(bytes.fromhex("00A404000E315041592E5359532E444446303100"))

Errors are the typed ReaderError family of drivers/errors.py; messages name the reader."""
from __future__ import annotations

from drivers.pcsc.channel import PcscChannel
from drivers.pcsc.readers import (
    DEFAULT_WAIT_S,
    ReaderStatus,
    list_readers,
    reader_statuses,
    resolve_reader,
    wait_for_card,
)

__all__ = [
    "PcscChannel",
    "ReaderStatus",
    "list_readers",
    "open_spec",
    "reader_statuses",
    "resolve_reader",
    "wait_for_card",
]


def open_spec(spec: str, timeout: float = DEFAULT_WAIT_S) -> PcscChannel:
    """The channel for a `--reader` value of the CLI contract: 'pcsc' (first reader with a card) or
    'pcsc:NAME' (that reader, exact name or unique substring). ValueError for any other spec."""
    kind, _, name = spec.partition(":")
    if kind != "pcsc":
        raise ValueError(f"reader spec {spec!r}: expected 'pcsc' or 'pcsc:NAME'")
    if _ and not name:
        raise ValueError(f"reader spec {spec!r}: the reader name after 'pcsc:' is empty")
    return wait_for_card(name or None, timeout)
