"""From a serial reader's swipe to a chip-first decision and parsed track 2, in one call for the sale.

Also `card_track_check`, a stricter track validator the serial framers can be given, so a framer never hands
over a track that the card layer would reject.
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from drivers.serial_msr.events import SwipeResult, TrackState
from drivers.serial_msr.track_check import check_track_structure
from terminal.card.chip_first import (
    ENTRY_FALLBACK, ChipFailureState, ChipFirstConfig, Decision, FallbackStore, SwipedTracks, card_key, decide,
)
from terminal.card.errors import CardDataError
from terminal.card.tracks import Track2, parse_track1, parse_track2


class SwipeCardData(NamedTuple):
    decision: Decision
    track2: Track2 | None  # only when the decision allows the swipe: nothing else is meant to be sent


def card_track_check(number: int, text: str) -> None:
    """TrackValidator for the framers: the reader-level check, then the card layer's own parse."""
    check_track_structure(number, text)
    if number == 1:
        parse_track1(text)
    elif number == 2:
        parse_track2(text)


def swiped_tracks(result: SwipeResult) -> SwipedTracks:
    if not result.ok:
        return SwipedTracks(fault=result.reason or "bad swipe")
    unreadable = [t.number for t in result.tracks if t.number in (1, 2) and t.state is TrackState.UNREADABLE]
    fault = f"track {unreadable[0]} unreadable" if unreadable else ""
    return SwipedTracks(result.text(1), result.text(2), fault)


def swipe_to_card_data(swipe_result: SwipeResult, chip_state: FallbackStore, config: ChipFirstConfig,
                       today: dt.date) -> SwipeCardData:
    """Decide on one swipe from a serial reader."""
    return tracks_to_card_data(swiped_tracks(swipe_result), chip_state, config, today)


def tracks_to_card_data(tracks: SwipedTracks, chip_state: FallbackStore, config: ChipFirstConfig,
                        today: dt.date) -> SwipeCardData:
    """Decide on one swipe, whatever read it. A fallback that is allowed is counted in chip_state at once
    (before anything is sent), so a sale that later fails still used up its fallback."""
    try:
        t2 = parse_track2(tracks.track2) if tracks.track2 else None
    except CardDataError:
        t2 = None  # decide() names the fault
    key = card_key(t2.pan, config.card_key_secret) if t2 else ""
    state = chip_state.state(key, today) if t2 else ChipFailureState()
    decision = decide(tracks, state, config, today)
    if decision.allowed and decision.entry_mode == ENTRY_FALLBACK:
        chip_state.record_fallback(key, today)
    return SwipeCardData(decision, t2 if decision.allowed else None)

