"""Chip-first rules: the decision table, fallback counting per card and per terminal, and the whole path
from a swipe on the pty reader emulator (through pyserial) to a decision."""
from __future__ import annotations

import datetime as dt

import pytest

from drivers.emulated.msr_tracks import test_card
from drivers.serial_msr import EscFramer, SwipeResult, TrackRead, TrackState, read_swipe
from drivers.serial_msr.esc_protocol import encode_block
from drivers.serial_msr.events import BadSwipeKind
from terminal.card.chip_first import (
    ChipFailureState, ChipFirstConfig, Decision, InMemoryFallbackStore, SwipedTracks, card_key, decide,
)
from terminal.card.swipe import card_track_check, swipe_to_card_data

TODAY = dt.date(2025, 6, 1)
CONFIG = ChipFirstConfig(max_fallbacks_per_card=1, max_fallbacks_per_terminal=2)
CHIP, MAG, EXPIRED = test_card("visa"), test_card("magstripe"), test_card("expired")
NO_HISTORY = ChipFailureState()
FAILED_ONCE = ChipFailureState(chip_failures=1)


def tracks(card, track1=True) -> SwipedTracks:
    return SwipedTracks(card.track1() if track1 else None, card.track2())


def refused(line: str, reason_part: str):
    def check(d: Decision) -> None:
        assert (d.allowed, d.entry_mode, d.operator_line) == (False, None, line)
        assert reason_part in d.reason
    return check


# -- the decision table -----------------------------------------------------------------------------------------
def test_magstripe_card_goes_online_as_901():
    assert decide(tracks(MAG), NO_HISTORY, CONFIG, TODAY) == Decision(
        True, "901", "PROCESSING", "magstripe card (service code 101): online", online_only=True)


def test_magstripe_card_track2_alone_is_enough():
    assert decide(tracks(MAG, track1=False), NO_HISTORY, CONFIG, TODAY).entry_mode == "901"


def test_chip_card_swiped_is_told_to_insert():
    refused("INSERT CARD", "chip card (service code 201)")(decide(tracks(CHIP), NO_HISTORY, CONFIG, TODAY))


def test_chip_card_after_chip_failure_falls_back_online_as_801():
    d = decide(tracks(CHIP), FAILED_ONCE, CONFIG, TODAY)
    assert (d.allowed, d.entry_mode, d.online_only) == (True, "801", True)
    assert d.reason.startswith("technical fallback after chip failure")


@pytest.mark.parametrize("state, reason", [
    (ChipFailureState(1, card_fallbacks=1), "fallback limit for this card reached (1 of 1 today)"),
    (ChipFailureState(1, terminal_fallbacks=2), "fallback limit for this terminal reached (2 of 2 today)"),
])
def test_fallback_limits(state, reason):
    refused("FALLBACK NOT ALLOWED", reason)(decide(tracks(CHIP), state, CONFIG, TODAY))


def test_expired_card_is_refused_before_anything_else():
    refused("CARD EXPIRED", "card expired")(decide(tracks(EXPIRED), FAILED_ONCE, CONFIG, TODAY))


def test_card_valid_through_the_last_day_of_its_expiry_month():
    assert decide(tracks(MAG), NO_HISTORY, CONFIG, dt.date(2030, 12, 31)).allowed
    refused("CARD EXPIRED", "expired")(decide(tracks(MAG), NO_HISTORY, CONFIG, dt.date(2031, 1, 1)))


@pytest.mark.parametrize("swiped, reason", [
    (SwipedTracks(None, None), "track 2 was not read"),
    (SwipedTracks(MAG.track1(), None), "track 2 was not read"),
    (SwipedTracks(None, MAG.track2(), fault="track 1 unreadable"), "partial swipe: track 1 unreadable"),
    (SwipedTracks(None, MAG.track2()[:-1]), "track 2: missing end sentinel"),
    (SwipedTracks(None, MAG.track2().replace("4761739001010010", "4761739001010011")), "Luhn"),
    (SwipedTracks(MAG.track1().replace("^3012", "^3011"), MAG.track2()), "track 1 and track 2 disagree"),
    (SwipedTracks("%B12^X^?", MAG.track2()), "track 1:"),
])
def test_unparseable_or_partial_swipe_is_swipe_again(swiped, reason):
    d = decide(swiped, FAILED_ONCE, CONFIG, TODAY)
    refused("SWIPE AGAIN", reason)(d)
    assert "4761739001010010" not in d.reason


# -- the store: counts keyed by an HMAC of the PAN --------------------------------------------------------------
def test_card_key_is_stable_and_hides_the_pan():
    key = card_key(CHIP.pan, b"secret")
    assert key == card_key(CHIP.pan, b"secret") != card_key(CHIP.pan, b"other")
    assert CHIP.pan not in key and len(key) == 32


def test_store_counts_per_card_per_terminal_and_per_day():
    store, a, b = InMemoryFallbackStore(), "card-a", "card-b"
    store.record_chip_failure(a, TODAY)
    assert store.state(a, TODAY) == ChipFailureState(1, 0, 0)
    assert store.state(b, TODAY) == NO_HISTORY
    store.record_fallback(a, TODAY)
    assert store.state(a, TODAY) == ChipFailureState(0, 1, 1)  # the failure is used up by its fallback
    assert store.state(b, TODAY) == ChipFailureState(0, 0, 1)
    assert store.state(a, TODAY + dt.timedelta(days=1)) == NO_HISTORY


def test_chip_failure_before_the_pan_was_read_counts_for_the_next_card():
    store = InMemoryFallbackStore()
    store.record_chip_failure(None, TODAY)
    assert store.state("any-card", TODAY).chip_failures == 1
    store.record_fallback("any-card", TODAY)
    assert store.state("other-card", TODAY).chip_failures == 0


# -- swipe_to_card_data: one call for the sale ------------------------------------------------------------------
def result_of(card, *, track1_state=TrackState.OK) -> SwipeResult:
    return SwipeResult("/dev/ttyTEST", (TrackRead(1, track1_state, card.track1() if track1_state is TrackState.OK
                                                  else ""), TrackRead(2, TrackState.OK, card.track2())))


def test_fallback_counting_across_sales():
    store, key = InMemoryFallbackStore(), card_key(CHIP.pan, CONFIG.card_key_secret)
    assert swipe_to_card_data(result_of(CHIP), store, CONFIG, TODAY).decision.operator_line == "INSERT CARD"
    store.record_chip_failure(key, TODAY)
    first = swipe_to_card_data(result_of(CHIP), store, CONFIG, TODAY)
    assert first.decision.entry_mode == "801" and first.track2.pan == CHIP.pan
    assert store.state(key, TODAY) == ChipFailureState(0, 1, 1)
    # The same card's chip fails again the same day: its one fallback is used up.
    store.record_chip_failure(key, TODAY)
    second = swipe_to_card_data(result_of(CHIP), store, CONFIG, TODAY)
    assert (second.decision.operator_line, second.track2) == ("FALLBACK NOT ALLOWED", None)
    assert store.state(key, TODAY) == ChipFailureState(1, 1, 1)  # nothing counted for a refusal
    # Another chip card uses the terminal's second fallback; a third card then hits the terminal limit.
    mc = test_card("mastercard")
    store.record_chip_failure(card_key(mc.pan, CONFIG.card_key_secret), TODAY)
    assert swipe_to_card_data(result_of(mc), store, CONFIG, TODAY).decision.entry_mode == "801"
    cup = test_card("unionpay")
    store.record_chip_failure(card_key(cup.pan, CONFIG.card_key_secret), TODAY)
    assert "terminal reached (2 of 2" in swipe_to_card_data(result_of(cup), store, CONFIG, TODAY).decision.reason


def test_refused_swipe_gives_no_track2_and_counts_nothing():
    store = InMemoryFallbackStore()
    out = swipe_to_card_data(result_of(CHIP, track1_state=TrackState.UNREADABLE), store, CONFIG, TODAY)
    assert (out.decision.operator_line, out.decision.reason) == ("SWIPE AGAIN", "partial swipe: track 1 unreadable")
    assert out.track2 is None
    assert store.state(card_key(CHIP.pan, CONFIG.card_key_secret), TODAY) == NO_HISTORY


def test_reader_fault_is_swipe_again():
    faulty = SwipeResult("/dev/ttyTEST", (), BadSwipeKind.INCOMPLETE, "incomplete swipe: reader stopped")
    d = swipe_to_card_data(faulty, InMemoryFallbackStore(), CONFIG, TODAY).decision
    assert (d.operator_line, d.reason) == ("SWIPE AGAIN", "partial swipe: incomplete swipe: reader stopped")


def test_card_track_check_makes_the_framer_refuse_what_the_card_layer_refuses():
    bad_luhn = CHIP.track2().replace("4761739001010010", "4761739001010011").encode()
    [event] = EscFramer(card_track_check).feed(encode_block({1: CHIP.track1().encode(), 2: bad_luhn}, "0"))
    assert event.tracks[1].state is TrackState.UNREADABLE
    [event] = EscFramer().feed(encode_block({2: bad_luhn}, "0"))  # the structural check alone lets it through
    assert event.tracks[1].state is TrackState.OK


# -- through the real pty reader ------------------------------------------------------------------------------
@pytest.mark.parametrize("protocol", ["ascii", "msr605"])
@pytest.mark.parametrize("scenario, line, entry_mode", [
    ("good:magstripe", "PROCESSING", "901"),
    ("good:visa", "INSERT CARD", None),
    ("good:expired", "CARD EXPIRED", None),
    ("unreadable-track:magstripe", "SWIPE AGAIN", None),
    ("bad-status", "SWIPE AGAIN", None),
])
def test_swipe_on_the_serial_reader_to_decision(msr_emulator, protocol, scenario, line, entry_mode):
    emu = msr_emulator(protocol, [scenario])
    result = read_swipe(emu.slave_path, protocol, 10.0, validate=card_track_check)
    out = swipe_to_card_data(result, InMemoryFallbackStore(), CONFIG, TODAY)
    assert (out.decision.operator_line, out.decision.entry_mode) == (line, entry_mode)


def test_fallback_through_the_serial_reader(msr_emulator):
    emu = msr_emulator("msr605", ["good:visa", "good:visa"])
    store = InMemoryFallbackStore()
    store.record_chip_failure(None, TODAY)  # the chip failed before its PAN could be read
    first = swipe_to_card_data(read_swipe(emu.slave_path, "msr605", 10.0), store, CONFIG, TODAY)
    second = swipe_to_card_data(read_swipe(emu.slave_path, "msr605", 10.0), store, CONFIG, TODAY)
    assert (first.decision.entry_mode, second.decision.operator_line) == ("801", "INSERT CARD")
