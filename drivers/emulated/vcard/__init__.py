"""Virtual EMV cards for tests and the demo (TEST DATA ONLY): profiles in profiles/*.json, served in process
(drivers/emulated/inprocess.py) or to the real pcscd through vpcd.

    card = load_profile("visa")          # a VirtualCard: atr(), reset(), process(apdu)
    card.tracks.track1, card.tracks.track2   # magstripe image, ISO 7813 text without sentinels/LRC
    profile_names()                      # ['bad-oda', 'bad-tlv', 'blocked', 'contactless', ...]
"""
from drivers.emulated.vcard.engine import VirtualEmvCard, load_profile
from drivers.emulated.vcard.profile import ProfileError, Tracks, card_image, profile_names

__all__ = ["VirtualEmvCard", "load_profile", "profile_names", "ProfileError", "Tracks", "card_image"]
