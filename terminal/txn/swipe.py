"""A magstripe sale: read the tracks, refuse what must not go online, then one online authorisation.

Everything refused here is refused before a journal row or a byte on the wire: a bad swipe is not a
transaction. Magstripe never approves offline (DESIGN.md), so an unreachable host is never 'approved'.
"""
from __future__ import annotations

import datetime as dt

from terminal.card import CardDataError, mask_pan, parse_track2
from terminal.card.tracks import is_expired
from terminal.txn.engine import Engine
from terminal.txn.records import CardInput, SaleResult

ENTRY_SWIPE = "901"


class SwipeRefused(Exception):
    """The swipe cannot be used; `operator_line` is what the screen says, `reason` what the log says."""

    def __init__(self, operator_line: str, reason: str) -> None:
        super().__init__(reason)
        self.operator_line = operator_line
        self.reason = reason


def card_from_swipe(track2_text: str, today: dt.date, *, entry_mode: str = ENTRY_SWIPE) -> CardInput:
    try:
        t2 = parse_track2(track2_text)
    except CardDataError as e:
        raise SwipeRefused("SWIPE AGAIN", str(e)) from None
    if is_expired(t2.expiry, today):
        raise SwipeRefused("CARD EXPIRED", "card expired: not sent to the host")
    if t2.service_code.chip_card and entry_mode == ENTRY_SWIPE:
        raise SwipeRefused("INSERT CARD", f"service code {t2.service_code.code}: chip card, chip must be used")
    return CardInput(entry_mode=entry_mode, masked_pan=mask_pan(t2.pan), track2=t2.as_field35())


def swipe_sale(engine: Engine, kind: str, amount: int, card: CardInput) -> SaleResult:
    row, verdict = engine.authorise(kind, amount, card)
    return engine.result(row, verdict)
