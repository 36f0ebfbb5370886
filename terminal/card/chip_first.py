"""Chip-first rules for a swipe: when a magstripe read may be used, and how it must go to the host.

A card whose service code starts with 2 or 6 carries a chip, and its swipe is refused ('INSERT CARD') unless
the chip has just failed on this same card: then, within the configured limits, the swipe is a technical
fallback, sent online with POS entry mode 801. A plain magstripe card goes online with entry mode 901. No
swipe ever approves offline. A refused swipe sends nothing to the host.

`decide` is a pure function of (tracks, chip-failure state, config, today). The state comes from a
`FallbackStore`, keyed by an HMAC of the PAN so the PAN itself is never kept; the in-memory store here is the
reference implementation, and the journal can back the same protocol.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from terminal.card.errors import CardDataError
from terminal.card.tracks import Track2, is_expired, parse_track1, parse_track2
from terminal.i18n.text import N_

ENTRY_MAGSTRIPE = "901"  # magnetic stripe read, full track, PIN-capable terminal
ENTRY_FALLBACK = "801"   # magnetic stripe read after a failed chip read (technical fallback)

LINE_GO_ONLINE = N_("PROCESSING")
LINE_INSERT_CARD = N_("INSERT CARD")
LINE_CARD_EXPIRED = N_("CARD EXPIRED")
LINE_SWIPE_AGAIN = N_("SWIPE AGAIN")
LINE_NO_FALLBACK = N_("FALLBACK NOT ALLOWED")


@dataclass(frozen=True)
class ChipFirstConfig:
    max_fallbacks_per_card: int = 1       # per card, per calendar day
    max_fallbacks_per_terminal: int = 10  # all cards together, per calendar day
    # Secret for card keys. A bare hash of a PAN can be reversed by trying every PAN of a BIN, so the key is
    # an HMAC; production takes this from the provisioning bundle, the default serves tests and the demo.
    card_key_secret: bytes = field(default=b"posterm-demo-card-key", repr=False)


@dataclass(frozen=True)
class ChipFailureState:
    chip_failures: int = 0       # chip failures on this card not yet used up by a fallback (today)
    card_fallbacks: int = 0      # fallbacks already allowed for this card today
    terminal_fallbacks: int = 0  # fallbacks already allowed on this terminal today


@dataclass(frozen=True)
class SwipedTracks:
    """The swipe as the rules see it: raw track texts (None when not read) and why it is not whole, if so."""
    track1: str | None = field(default=None, repr=False)
    track2: str | None = field(default=None, repr=False)
    fault: str = ""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    entry_mode: str | None   # '901', '801', or None when refused
    operator_line: str
    reason: str              # for the log: never holds card data
    online_only: bool = True  # a swipe (fallback included) is never approved offline


def card_key(pan: str, secret: bytes) -> str:
    """Stable, non-reversible key for a card's chip/fallback record."""
    return hmac.new(secret, pan.encode("ascii"), hashlib.sha256).hexdigest()[:32]


def _refuse(line: str, reason: str) -> Decision:
    return Decision(False, None, line, reason)


def _parsed(tracks: SwipedTracks) -> Track2 | Decision:
    """Track 2 when the swipe is whole and consistent, else the 'swipe again' decision."""
    if tracks.fault:
        return _refuse(LINE_SWIPE_AGAIN, f"partial swipe: {tracks.fault}")
    if not tracks.track2:
        return _refuse(LINE_SWIPE_AGAIN, "partial swipe: track 2 was not read")
    try:
        t2 = parse_track2(tracks.track2)
        if tracks.track1:
            t1 = parse_track1(tracks.track1)
            if (t1.pan, t1.expiry, t1.service_code) != (t2.pan, t2.expiry, t2.service_code):
                return _refuse(LINE_SWIPE_AGAIN, "track 1 and track 2 disagree (misread swipe)")
    except CardDataError as exc:
        return _refuse(LINE_SWIPE_AGAIN, f"unreadable swipe: {exc}")
    return t2


def decide(tracks: SwipedTracks, state: ChipFailureState, config: ChipFirstConfig, today: dt.date) -> Decision:
    t2 = _parsed(tracks)
    if isinstance(t2, Decision):
        return t2
    code = t2.service_code.code
    if is_expired(t2.expiry, today):
        return _refuse(LINE_CARD_EXPIRED, "card expired: not sent to the host")
    if not t2.service_code.chip_card:
        return Decision(True, ENTRY_MAGSTRIPE, LINE_GO_ONLINE, f"magstripe card (service code {code}): online")
    if state.chip_failures <= 0:
        return _refuse(LINE_INSERT_CARD, f"chip card (service code {code}): the chip must be read")
    if state.card_fallbacks >= config.max_fallbacks_per_card:
        return _refuse(LINE_NO_FALLBACK, f"fallback limit for this card reached ({state.card_fallbacks} of "
                                         f"{config.max_fallbacks_per_card} today)")
    if state.terminal_fallbacks >= config.max_fallbacks_per_terminal:
        return _refuse(LINE_NO_FALLBACK, f"fallback limit for this terminal reached ({state.terminal_fallbacks} "
                                         f"of {config.max_fallbacks_per_terminal} today)")
    return Decision(True, ENTRY_FALLBACK, LINE_GO_ONLINE,
                    f"technical fallback after chip failure (service code {code}): online only")


class FallbackStore(Protocol):
    """Where chip failures and allowed fallbacks are counted. Keys are `card_key` values, never PANs."""

    def record_chip_failure(self, card_key: str | None, day: dt.date) -> None:
        """A chip read failed. card_key None: the chip failed before its PAN could be read; the failure then
        counts for the next card swiped that day (the one the operator was told to swipe)."""
        ...

    def record_fallback(self, card_key: str, day: dt.date) -> None:
        """A fallback was allowed: count it, and use up the chip failure that allowed it."""
        ...

    def state(self, card_key: str, day: dt.date) -> ChipFailureState: ...


class InMemoryFallbackStore:
    """FallbackStore in a process's memory (tests, demo). Counts are per calendar day."""

    def __init__(self) -> None:
        self._failures: Counter[tuple[str | None, dt.date]] = Counter()
        self._fallbacks: Counter[tuple[str, dt.date]] = Counter()
        self._terminal: Counter[dt.date] = Counter()

    def record_chip_failure(self, card_key: str | None, day: dt.date) -> None:
        self._failures[(card_key, day)] += 1

    def record_fallback(self, card_key: str, day: dt.date) -> None:
        self._fallbacks[(card_key, day)] += 1
        self._terminal[day] += 1
        self._failures.pop((card_key, day), None)
        self._failures.pop((None, day), None)

    def state(self, card_key: str, day: dt.date) -> ChipFailureState:
        failures = self._failures[(card_key, day)] + self._failures[(None, day)]
        return ChipFailureState(failures, self._fallbacks[(card_key, day)], self._terminal[day])
