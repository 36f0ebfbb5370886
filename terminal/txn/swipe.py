"""A magstripe sale: the chip-first rules decide whether the swipe may be used, then one online request.

Everything refused here is refused before a journal row or a byte on the wire: a bad swipe is not a
transaction. A swipe never approves offline (DESIGN.md), so an unreachable host is never 'approved'.
"""
from __future__ import annotations

import datetime as dt

from terminal.card import mask_pan
from terminal.card.chip_first import ChipFirstConfig, FallbackStore, SwipedTracks
from terminal.card.swipe import tracks_to_card_data
from terminal.txn.engine import Engine
from terminal.txn.records import CardInput, SaleResult


class SwipeRefused(Exception):
    """The swipe cannot be used; `operator_line` is what the screen says, `reason` what the log says."""

    def __init__(self, operator_line: str, reason: str) -> None:
        super().__init__(reason)
        self.operator_line = operator_line
        self.reason = reason


def card_from_swipe(tracks: SwipedTracks, store: FallbackStore, today: dt.date,
                    config: ChipFirstConfig = ChipFirstConfig()) -> CardInput:
    data = tracks_to_card_data(tracks, store, config, today)
    if not data.decision.allowed or data.track2 is None:
        raise SwipeRefused(data.decision.operator_line, data.decision.reason)
    t2 = data.track2
    return CardInput(entry_mode=data.decision.entry_mode or "901", masked_pan=mask_pan(t2.pan),
                     track2=t2.as_field35())


def swipe_sale(engine: Engine, kind: str, amount: int, card: CardInput) -> SaleResult:
    row, verdict = engine.authorise(kind, amount, card)
    return engine.result(row, verdict)
