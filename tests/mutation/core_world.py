"""Cards, keys and wire capture for the sale-core mutation tests (tests/mutation/test_core_*.py): the emulated
cards of `--reader emulated:PROFILE` through the driver's own card sources, the real keypad state machine fed
by planned keys, and every request the simulated host received, decoded."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from drivers.emulated.inprocess import InProcessChannel
from drivers.emulated.msr_tracks import test_card
from drivers.emulated.vcard import card_image, load_profile
from drivers.emulated.vcard.engine import VirtualEmvCard
from drivers.emvspec.ber_tlv import encode, encode_many, parse
from terminal.card.chip_first import SwipedTracks
from terminal.config import Config, keypad_settings
from terminal.emv.pin import EmulatedPinPad, Format0TdesKey
from terminal.iso8583 import Message
from terminal.keypad.fsm import KeypadFSM
from terminal.keypad.settings import for_tty
from terminal.risk.cardhash import card_hash, derived_key
from terminal.txn.cards import ChipReader, SwipeReader
from terminal.txn.operator import KeypadOperator
from tests.sim.devices import PlannedKeys

VISA_PAN = "4761739001010010"


class Chip:
    """One emulated chip card in a reader: `pull_before` pulls it out before that APDU (1 = the first)."""

    def __init__(self, profile: str, cfg: Config, *, pull_before: int | None = None, tap: bool | None = None,
                 without: tuple[int, ...] = ()):
        self.virtual = load_profile(profile) if not without else _without(profile, without)
        image = self.virtual.image
        self.tapped = (image.contactless and not image.contact) if tap is None else tap
        self.pull_before = pull_before
        self.apdus = 0
        self.channel: InProcessChannel | None = None
        self.reader = ChipReader(self._open)
        self.pinpad = EmulatedPinPad(image.pin, Format0TdesKey(cfg.keys.pin_key)) if image.pin else None

    def _open(self):
        self.channel = InProcessChannel(self.virtual, protocol="contactless" if self.tapped else None)
        outer = self

        class Counted:
            protocol = self.channel.protocol

            def transmit(self, apdu: bytes) -> bytes:
                outer.apdus += 1
                if outer.apdus == outer.pull_before:
                    outer.channel.remove()
                return outer.channel.transmit(apdu)

            def close(self) -> None:
                outer.channel.close()
        return Counted()


def _without(profile: str, tags: tuple[int, ...]) -> VirtualEmvCard:
    """The profile's card with those data objects left out of its records (e.g. a card with no 5A)."""
    image = card_image(profile)
    records = {}
    for key, record in image.records.items():
        objects = parse(record)[0].children()
        records[key] = encode(0x70, encode_many([(o.tag, o.value) for o in objects if o.tag not in tags]))
    return VirtualEmvCard(replace(image, records=records))


def swipe(profile: str = "magstripe") -> SwipeReader:
    """A whole swipe: the magstripe test card, or the magstripe of an emulated chip card (service code 2xx)."""
    if profile == "magstripe":
        card = test_card("magstripe")
        tracks = SwipedTracks(card.track1(), card.track2())
    else:
        t = card_image(profile).tracks
        tracks = SwipedTracks(t.track1, t.track2)
    return SwipeReader(lambda: tracks)


def keypad(terminal, amount: int, keys: list[tuple[float, str]], screens: list | None = None) -> KeypadOperator:
    """The real keypad state machine, with `keys` typed at those simulated seconds after now; every screen it
    shows is appended to `screens`."""
    start = terminal.clock.monotonic()
    fsm = KeypadFSM.for_sale(for_tty(keypad_settings(terminal.driver.cfg)), amount)
    return KeypadOperator(fsm, PlannedKeys(terminal.clock, [(start + at, k) for at, k in keys]),
                          terminal.clock.monotonic, (screens.append if screens is not None else lambda screen: None),
                          chooses_application=False)


def wire(terminal) -> list[Message]:
    """From now on, every request the host receives, decoded (MAC verified by the network)."""
    seen: list[Message] = []
    terminal.host.on_request = seen.append
    return seen


def configure(terminal, **sections) -> Config:
    """Replace fields of config sections for the next sales: configure(t, limits={"floor_limit": 5000})."""
    cfg = terminal.driver.cfg
    cfg = replace(cfg, **{name: replace(getattr(cfg, name), **values) for name, values in sections.items()})
    terminal.driver.cfg = cfg
    return cfg


def recent_ids(terminal, pan: str) -> list[int]:
    """The transactions the risk rules would see for that card (by its keyed hash) since an hour ago."""
    since = (terminal.clock.now().utc - dt.timedelta(hours=1)).isoformat(timespec="milliseconds")
    key = card_hash(pan, derived_key(terminal.driver.cfg.keys.data_key))
    return [t.txn_id for t in terminal.journal.risk.recent(key, since)]
