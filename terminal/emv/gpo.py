"""Initiate application processing, EMV Book 3 section 10.1: fill the PDOL, send GET PROCESSING OPTIONS and take
the AIP and AFL from a format 1 ('80') or format 2 ('77') response."""
from __future__ import annotations

from dataclasses import dataclass

from drivers.emvspec.dol import build_dol_data, parse_dol
from terminal.emv import apdu, tags
from terminal.emv.context import KernelContext, Phase, exchange, parse_response
from terminal.emv.errors import CardDataError, CardStatusError


class ConditionsNotSatisfied(CardStatusError):
    """GPO answered 6985: this application cannot do this transaction; try the next candidate (Book 3 10.1)."""


@dataclass(frozen=True)
class AflEntry:
    sfi: int
    first: int
    last: int
    oda_count: int


def parse_afl(afl: bytes) -> list[AflEntry]:
    """Book 3 10.2: 4 bytes per entry; SFI 1-30, first record >= 1, last >= first, ODA count within range."""
    if not afl or len(afl) % 4:
        raise CardDataError(f"AFL (94) of {len(afl)} bytes is not a non-empty multiple of 4")
    out = []
    for i in range(0, len(afl), 4):
        sfi, first, last, oda = afl[i] >> 3, afl[i + 1], afl[i + 2], afl[i + 3]
        if not 1 <= sfi <= 30 or afl[i] & 0x07 or first == 0 or last < first or oda > last - first + 1:
            raise CardDataError(f"AFL entry {i // 4 + 1} ({afl[i:i + 4].hex().upper()}) is malformed")
        out.append(AflEntry(sfi, first, last, oda))
    return out


def get_processing_options(ctx: KernelContext) -> Phase[list[AflEntry]]:
    pdol = ctx.card.get(0x9F38)
    data = build_dol_data(parse_dol(pdol, "PDOL"), ctx.values(), tags.fmt) if pdol else b""
    ctx.pdol_data = data
    if len(data) > 253:
        raise CardDataError(f"PDOL asks for {len(data)} bytes: GET PROCESSING OPTIONS cannot carry them")
    resp = yield from exchange(ctx, apdu.get_processing_options(data))
    if resp.sw == apdu.SW_CONDITIONS_NOT_SATISFIED:
        raise ConditionsNotSatisfied("GET PROCESSING OPTIONS", resp.sw)
    if not resp.ok:
        raise CardStatusError("GET PROCESSING OPTIONS", resp.sw)
    objs = parse_response(resp.data, "GET PROCESSING OPTIONS")
    if len(objs) != 1 or objs[0].tag not in (0x80, 0x77):
        raise CardDataError("GET PROCESSING OPTIONS: response is neither format 1 (80) nor format 2 (77)")
    if objs[0].tag == 0x80:
        body = objs[0].value
        if len(body) < 2 + 4:
            raise CardDataError(f"GET PROCESSING OPTIONS: format 1 body of {len(body)} bytes (need AIP + AFL)")
        ctx.card[0x82], ctx.card[0x94] = body[:2], body[2:]
    else:
        ctx.store_card(objs[0].children(), "GET PROCESSING OPTIONS", unique=True)
        ctx.require(0x82, "GET PROCESSING OPTIONS")
        ctx.require(0x94, "GET PROCESSING OPTIONS")
    if len(ctx.card[0x82]) != 2:
        raise CardDataError("GET PROCESSING OPTIONS: AIP (82) must be 2 bytes")
    return parse_afl(ctx.card[0x94])
