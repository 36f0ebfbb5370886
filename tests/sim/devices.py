"""The simulated reader and keypad: emulated chip, tap and swipe cards, and an operator typing at any moment.

Cards are the emulated ones of `--reader emulated:PROFILE` (drivers/emulated), through the same CardSource
classes `posterm run` uses (terminal/txn/cards.py). A card may be pulled at any APDU of the sale; a swipe may be
partial. Each card exchange takes a little simulated time, so keys planned for a moment of the sale land there.

The operator is the real keypad state machine (KeypadOperator over KeypadFSM, as `posterm sale --keys`), fed
by a key source that plays keys planned at simulated instants: a mistaken CANCEL left to time out, CANCEL then
ENTER (confirmed), CANCEL then CLEAR (withdrawn), a stray CLEAR or ENTER, double presses.
"""
from __future__ import annotations

import random
from collections import Counter

from drivers.emulated.inprocess import InProcessChannel
from drivers.emulated.msr_tracks import test_card
from drivers.emulated.vcard import load_profile
from terminal.card.chip_first import SwipedTracks
from terminal.config import Config, keypad_settings
from terminal.emv.pin import EmulatedPinPad, Format0TdesKey
from terminal.keypad.fsm import KeypadFSM
from terminal.keypad.settings import for_tty
from terminal.txn.cards import ChipReader, SwipeReader
from terminal.txn.clock import ManualClock
from terminal.txn.operator import KeypadOperator

APDU_S = 0.03
CHIP = ("visa", "mastercard", "unionpay")
TAP = ("contactless", "mchip-contactless", "qvsdc-offline")
# Full PANs of every card the simulation uses: none may ever be found in the journal in clear.
PANS = {"4761739001010010", "5413330089010434", "6210947000000021"}
KEY_ACTIONS = {
    "mistaken_cancel": ["CANCEL"],                # nobody confirms: the confirmation times out, the sale goes on
    "confirmed_cancel": ["CANCEL", "ENTER"],
    "withdrawn_cancel": ["CANCEL", "CLEAR"],
    "stray_clear": ["CLEAR"],
    "stray_enter": ["ENTER"],
    "double_cancel": ["CANCEL", "CANCEL"],
    "double_enter": ["CANCEL", "ENTER", "ENTER"],
}


class PulledCard:
    """An emulated card that the cardholder pulls out before its `pull_at`-th APDU (never when None)."""

    def __init__(self, channel: InProcessChannel, clock: ManualClock, pull_at: int | None, fired: Counter) -> None:
        self.channel, self.clock, self.pull_at, self.fired = channel, clock, pull_at, fired
        self.protocol = channel.protocol
        self.count = 0

    def transmit(self, apdu: bytes) -> bytes:
        self.count += 1
        self.clock.advance(APDU_S)
        if self.count == self.pull_at:
            self.fired["card_removed"] += 1
            self.channel.remove()
        return self.channel.transmit(apdu)

    def close(self) -> None:
        self.channel.close()


def card_for(rng: random.Random, kind: str, cfg: Config, clock: ManualClock, fired: Counter):
    """(card source, PIN pad or None, label): a chip, a tap or a swipe, drawn."""
    how = rng.choices(("chip", "tap", "swipe"), weights=(4, 3, 2))[0]
    if how == "swipe":
        partial = rng.random() < 0.05
        fired["partial_swipe" if partial else "swipe"] += 1
        card = test_card("magstripe")
        tracks = SwipedTracks(None, None, "track 2 LRC error") if partial else SwipedTracks(card.track1(), card.track2())
        return SwipeReader(lambda: tracks), None, "swipe"
    profile = rng.choice(CHIP if how == "chip" else TAP)
    fired[how] += 1
    pull_at = rng.randint(1, 16) if rng.random() < 0.12 else None
    virtual = load_profile(profile)

    def insert():
        inner = InProcessChannel(virtual, protocol="contactless" if how == "tap" else None)
        return PulledCard(inner, clock, pull_at, fired)
    pin = virtual.image.pin
    pinpad = EmulatedPinPad(pin, Format0TdesKey(cfg.keys.pin_key)) if pin else None
    return ChipReader(insert), pinpad, profile


class PlannedKeys:
    """A KeySource playing keys at planned simulated instants; reading with a timeout lets that time pass."""

    def __init__(self, clock: ManualClock, plan: list[tuple[float, str]]) -> None:
        self.clock, self.plan = clock, sorted(plan, key=lambda planned: planned[0])   # same instant: as typed

    def read(self, timeout: float | None) -> str | None:
        if self.plan and self.plan[0][0] <= self.clock.monotonic():
            return self.plan.pop(0)[1]
        if timeout:
            self.clock.advance(timeout)
        return None

    def peek(self) -> str | None:
        return None

    def close(self) -> None:
        pass


def operator_for(rng: random.Random, cfg: Config, clock: ManualClock, amount: int, fired: Counter
                 ) -> KeypadOperator:
    """The keypad for one sale, with 0 to 2 key actions planned within the sale's first three seconds."""
    plan: list[tuple[float, str]] = []
    start = clock.monotonic()
    for _ in range(rng.choices((0, 1, 2), weights=(5, 4, 1))[0]):
        action = rng.choice(sorted(KEY_ACTIONS))
        fired[f"keys_{action}"] += 1
        at = start + rng.uniform(0.0, 3.0)
        for i, key in enumerate(KEY_ACTIONS[action]):
            plan.append((at + i * rng.choice((0.0, 0.02, 0.3)), key))
    fsm = KeypadFSM.for_sale(for_tty(keypad_settings(cfg)), amount)
    return KeypadOperator(fsm, PlannedKeys(clock, plan), clock.monotonic, chooses_application=False)
