"""The one request/answer path: every exchange with the host (sale, refund, void, reversal, advice, batch
upload, settlement, echo) goes through `exchange` and ends in exactly one of three ways.

    Answered   a well-formed answer of our dialect, MAC verified, to this MTI and this STAN
    NoAnswer   the request may have left and nothing trustworthy came back: outcome unknown
    NotSent    nothing left the terminal (the connect failed): safe to say 'not charged'

What each caller does with NoAnswer differs (a sale reverses, a reversal stays queued, a settlement stays
open), which is why this module decides nothing beyond the three words. After a NoAnswer the connection is
closed: an answer to something else means nothing more on that connection can be trusted.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from terminal.iso8583 import MacError, Message, MessageError, decode
from terminal.iso8583.dialect import RESPONSE_MTI
from terminal.link import ConnectError, LinkError
from terminal.link.client import HostLink
from terminal.logs import trace
from terminal.txn.crashpoints import NONE, CrashPoints


@dataclass(frozen=True)
class Request:
    mti: str
    stan: str      # field 11 as sent (6 digits)
    wire: bytes    # encoded and MACed


@dataclass(frozen=True)
class Answered:
    message: Message


@dataclass(frozen=True)
class NoAnswer:
    why: str


@dataclass(frozen=True)
class NotSent:
    why: str


Reply = Answered | NoAnswer | NotSent


def address_of(link: HostLink) -> str:
    """The address of the link's connection (the one the next request leaves on), '' when the link has none
    (a simulated network): what the journal notes as the message's carrier (store/carriers.py)."""
    return str(getattr(link, "address", "") or "")


def read_answer(request: Request, raw: bytes, mac_key: bytes) -> Answered | NoAnswer:
    """Pure: is `raw` the answer to `request`? Bad MAC, another dialect, another MTI or STAN: no answer."""
    expected = RESPONSE_MTI[request.mti]
    try:
        message = decode(raw, mac_key)
    except MacError as e:
        return NoAnswer(f"bad MAC on the {expected}: {e}")
    except MessageError as e:
        return NoAnswer(f"answer is not ISO 8583 of our dialect: {e}")
    if message.mti != expected:
        return NoAnswer(f"answer was a {message.mti}, expected {expected}")
    if message.fields.get(11) != request.stan:
        return NoAnswer(f"answer {message.mti} for STAN {message.fields.get(11)}, expected {expected} for "
                        f"STAN {request.stan}")
    return Answered(message)


def exchange(link: HostLink, request: Request, mac_key: bytes, timeout_s: float, *,
             crash: CrashPoints = NONE, sent_point: str = "after_send",
             while_waiting: Callable[[], None] | None = None,
             idle: Callable[[], None] | None = None) -> Reply:
    """Send `request`, wait up to `timeout_s` for its answer. `while_waiting` runs once right after the send
    (work to overlap with the host's); `idle` runs every tick while waiting (the driver loop reads the keypad
    there)."""
    trace("to host", request.wire)
    try:
        link.send(request.wire)
    except ConnectError as e:
        return NotSent(str(e))
    except LinkError as e:
        return NoAnswer(str(e))
    crash.reached(sent_point)
    if while_waiting is not None:
        while_waiting()
    try:
        raw = link.receive(timeout_s, idle=idle)
    except LinkError as e:
        return NoAnswer(str(e))
    trace("from host", raw)
    reply = read_answer(request, raw, mac_key)
    if isinstance(reply, NoAnswer):
        link.close()
    return reply
