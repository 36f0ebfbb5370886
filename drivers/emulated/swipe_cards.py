"""Magstripe images of the built-in test cards, for `--reader emulated-swipe:NAME` (test data only).

Track text is as a reader hands it over: with sentinels, without LRC. Names match the virtual chip card
profiles; `magstripe` is a card without a chip (service code 101), the one a swipe may approve.
"""
from __future__ import annotations

TEST_TRACKS: dict[str, tuple[str, str]] = {
    # name: (track 1, track 2)
    "magstripe": ("%B4761739001010119^MAGSTRIPE/TEST^3112101000000000000?", ";4761739001010119=31121010000000000?"),
    "expired-swipe": ("%B4761739001010119^EXPIRED/TEST^2001101000000000000?", ";4761739001010119=20011010000000000?"),
    "visa": ("%B4761739001010010^VISA/TEST^3112201000000000000?", ";4761739001010010=31122010000000000?"),
    "mastercard": ("%B5413330089010434^MASTERCARD/TEST^3112201000000000000?", ";5413330089010434=31122010000000000?"),
    "unionpay": ("%B6250947000000014^UNIONPAY/TEST^3112201000000000000?", ";6250947000000014=31122010000000000?"),
}


def swipe(name: str) -> tuple[str, str]:
    try:
        return TEST_TRACKS[name]
    except KeyError:
        raise KeyError(f"no built-in card profile {name!r}; known: {', '.join(sorted(TEST_TRACKS))}") from None
