"""`--reader SPEC` of cli-contract.md, resolved to a card source. Drivers are imported only here, lazily."""
from __future__ import annotations

from dataclasses import dataclass

from terminal.cli.common import UsageError


@dataclass(frozen=True)
class ReaderSpec:
    kind: str   # emulated, emulated-swipe, pcsc, serial, replay
    arg: str    # profile name, reader name, device


KINDS = ("emulated", "emulated-swipe", "pcsc", "serial", "replay")


def parse_reader(spec: str) -> ReaderSpec:
    kind, _, arg = spec.partition(":")
    if kind not in KINDS:
        raise UsageError(f"--reader {spec!r}: expected one of emulated:PROFILE, emulated-swipe:PROFILE, pcsc,"
                         " pcsc:NAME, serial:DEVICE, replay:TRACE")
    if kind in ("emulated", "emulated-swipe", "serial", "replay") and not arg:
        what = {"serial": "device", "replay": "trace file"}.get(kind, "profile")
        raise UsageError(f"--reader {spec!r}: {kind} needs a {what} name")
    return ReaderSpec(kind, arg)


def read_tracks(spec: ReaderSpec, timeout_s: float = 30.0):
    """One swipe from a magstripe reader spec, as the chip-first rules take it (SwipedTracks)."""
    from terminal.card.chip_first import SwipedTracks
    if spec.kind == "emulated-swipe":
        # A chip card profile swipes its own magstripe (so a failed chip and its fallback swipe are the same
        # card); the magstripe-only test cards come from the serial emulator's table.
        from drivers.emulated.msr_tracks import TEST_CARDS, test_card
        from drivers.emulated.vcard import card_image, profile_names
        if spec.arg in profile_names():
            tracks = card_image(spec.arg).tracks
            return SwipedTracks(tracks.track1, tracks.track2)
        try:
            card = test_card(spec.arg)
        except ValueError:
            raise UsageError(f"--reader emulated-swipe:{spec.arg}: no such card; known: "
                             f"{', '.join(sorted(set(TEST_CARDS) | set(profile_names())))}") from None
        return SwipedTracks(card.track1(), card.track2())
    if spec.kind == "serial":
        from drivers.serial_msr import parse_reader_spec, read_swipe
        from drivers.serial_msr.errors import ReaderSpecError
        from terminal.card.swipe import card_track_check, swiped_tracks
        try:
            s = parse_reader_spec(spec.arg)
        except ReaderSpecError as e:
            raise UsageError(f"--reader serial:{spec.arg}: {e}") from None
        return swiped_tracks(read_swipe(s.device, s.protocol, timeout_s, baud=s.baud, gap_s=s.gap_s, wake=s.wake,
                                        validate=card_track_check))
    raise UsageError(f"--reader {spec.kind}: not a magstripe reader")


def open_chip_channel(spec: ReaderSpec, timeout_s: float = 30.0):
    """A CardChannel for `emulated:PROFILE` (the virtual card in process; contactless-only profiles are
    tapped) or `pcsc` / `pcsc:NAME` (waits up to `timeout_s` for a card)."""
    if spec.kind == "emulated":
        from drivers.emulated.inprocess import InProcessChannel
        from drivers.emulated.vcard import load_profile, profile_names
        if spec.arg not in profile_names():
            raise UsageError(f"--reader emulated:{spec.arg}: no such card profile; known: "
                             f"{', '.join(sorted(profile_names()))}")
        card = load_profile(spec.arg)
        tapped = card.image.contactless and not card.image.contact
        return InProcessChannel(card, protocol="contactless" if tapped else None)
    if spec.kind == "pcsc":
        from drivers import pcsc
        return pcsc.open_spec(f"pcsc:{spec.arg}" if spec.arg else "pcsc", timeout=timeout_s)
    if spec.kind == "replay":   # a recorded APDU trace served to pcscd through vpcd (docs/firmware_tools.md)
        from firmware_tools.replay_reader import open_replay
        from firmware_tools.trace import TraceError
        try:
            return open_replay(spec.arg, timeout_s)
        except TraceError as e:
            raise UsageError(str(e)) from None
    raise UsageError(f"--reader {spec.kind}: not a chip reader")


def emulated_pin(spec: ReaderSpec, pin: str | None) -> str | None:
    """The PIN the emulated cardholder types: --pin, else (emulated cards only) the profile's own test PIN."""
    if pin is not None or spec.kind != "emulated":
        return pin
    from drivers.emulated.vcard import load_profile
    return load_profile(spec.arg).image.pin
