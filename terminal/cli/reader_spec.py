"""`--reader SPEC` of cli-contract.md, resolved to a card source. Drivers are imported only here, lazily."""
from __future__ import annotations

from dataclasses import dataclass

from terminal.cli.common import UsageError


@dataclass(frozen=True)
class ReaderSpec:
    kind: str   # emulated, emulated-swipe, pcsc, serial
    arg: str    # profile name, reader name, device


KINDS = ("emulated", "emulated-swipe", "pcsc", "serial")


def parse_reader(spec: str) -> ReaderSpec:
    kind, _, arg = spec.partition(":")
    if kind not in KINDS:
        raise UsageError(f"--reader {spec!r}: expected one of emulated:PROFILE, emulated-swipe:PROFILE, pcsc,"
                         " pcsc:NAME, serial:DEVICE")
    if kind in ("emulated", "emulated-swipe", "serial") and not arg:
        raise UsageError(f"--reader {spec!r}: {kind} needs a {'device' if kind == 'serial' else 'profile'} name")
    return ReaderSpec(kind, arg)


def swipe_tracks(spec: ReaderSpec) -> tuple[str, str]:
    """(track 1, track 2) from an emulated magstripe."""
    from drivers.emulated.swipe_cards import swipe
    try:
        return swipe(spec.arg)
    except KeyError as e:
        raise UsageError(f"--reader emulated-swipe:{spec.arg}: {e.args[0]}") from None
