"""Card data: ISO 7813 tracks, PAN checks and masking, expiry, service code."""
from terminal.card.errors import CardDataError
from terminal.card.pan import luhn_ok, mask_pan
from terminal.card.tracks import Track1, Track2, parse_track1, parse_track2
from terminal.card.service_code import ServiceCode

__all__ = [
    "CardDataError", "luhn_ok", "mask_pan", "Track1", "Track2", "parse_track1", "parse_track2", "ServiceCode",
]
