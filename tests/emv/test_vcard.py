"""The virtual card engine (drivers/emulated/vcard): profile loading, the card's answers to commands out of
order, T=0 behaviour, PIN handling. Status words are ISO 7816-4 / EMV Book 3 6.5 ones."""
import pytest

from drivers.emulated.vcard import ProfileError, card_image, load_profile, profile_names
from drivers.emvspec.ber_tlv import parse


def test_profile_names_and_tracks():
    assert profile_names() == ["bad-oda", "bad-tlv", "blocked", "contactless", "expired", "mastercard",
                               "pin-blocked", "unionpay", "visa"]
    card = load_profile("visa")
    assert card.tracks.track2 == "4761739001010010=301220100000000"
    assert card.tracks.track1 == "B4761739001010010^TEST/VISA CARDHOLDER^301220100000000"
    for name in profile_names():
        assert card_image(name).tracks.track2.split("=")[1][4:7] in ("201", "220")


def test_unknown_profile():
    with pytest.raises(ProfileError, match="no card profile 'amex'"):
        load_profile("amex")


def test_commands_out_of_order_are_refused():
    card = load_profile("mastercard")
    assert card.process(bytes.fromhex("80AE8000020000"))[-2:].hex() == "6985"      # GENERATE AC before GPO
    assert card.process(bytes.fromhex("80A8000002830000"))[-2:].hex() == "6985"    # GPO without selection
    assert card.process(bytes.fromhex("00C0000010"))[-2:].hex() == "6985"          # nothing to GET RESPONSE
    assert card.process(bytes.fromhex("00B2011400"))[-2:].hex() == "6985"          # READ RECORD, nothing selected
    assert card.process(bytes.fromhex("B0A40000"))[-2:].hex() == "6e00"            # unknown class
    assert card.process(b"\x00")[-2:].hex() == "6700"


def test_t0_profile_answers_case_4_with_61xx():
    card = load_profile("visa")
    first = card.process(bytes.fromhex("00A4040007A000000003101000"))
    assert first[0] == 0x61
    rest = card.process(bytes([0x00, 0xC0, 0x00, 0x00, first[1]]))
    assert rest[-2:] == b"\x90\x00" and len(rest) - 2 == first[1]
    assert parse(rest[:-2])[0].tag == 0x6F


def test_plaintext_pin_counts_down_and_resets():
    card = load_profile("visa")
    card.process(bytes.fromhex("00A4040007A000000003101000"))
    card.process(bytes.fromhex("00C0000000"))
    card.process(bytes.fromhex("80A8000002830000"))
    assert card.process(bytes.fromhex("002000800824" + "9999" + "FFFFFFFFFF")).hex() == "63c2"
    assert card.process(bytes.fromhex("002000800824" + "1234" + "FFFFFFFFFF")).hex() == "9000"
    assert card.pin_tries == 3
    for left in (2, 1, 0):
        assert card.process(bytes.fromhex("0020008008240000FFFFFFFFFF")).hex() == f"63c{left}"
    assert card.process(bytes.fromhex("002000800824" + "1234" + "FFFFFFFFFF")).hex() == "6983"


def test_counters_survive_reset_but_session_does_not():
    card = load_profile("mastercard")
    card.process(bytes.fromhex("00A4040007A000000004101000"))
    card.process(bytes.fromhex("80A80000038301" + "22" + "00"))
    atc = card.atc
    card.reset()
    assert card.atc == atc == 41
    assert card.process(bytes.fromhex("80CA9F3600")).hex() == "9f3602002990" "00"
