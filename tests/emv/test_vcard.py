"""The virtual card engine (drivers/emulated/vcard): profile loading, the card's answers to commands out of
order, T=0 behaviour, PIN handling. Status words are ISO 7816-4 / EMV Book 3 6.5 ones."""
import pytest

from drivers.emulated.vcard import ProfileError, card_image, load_profile, profile_names
from drivers.emvspec.ber_tlv import parse


def test_profile_names_and_tracks():
    assert profile_names() == ["amex", "bad-oda", "bad-tlv", "blocked", "contactless", "expired", "mastercard",
                               "mchip-contactless", "pin-blocked", "qvsdc-offline", "unionpay",
                               "visa"]
    card = load_profile("visa")
    assert card.tracks.track2 == "4761739001010010=301220100000000"
    assert card.tracks.track1 == "B4761739001010010^TEST/VISA CARDHOLDER^301220100000000"
    for name in profile_names():
        assert card_image(name).tracks.track2.split("=")[1][4:7] in ("201", "220")


def test_unknown_profile():
    with pytest.raises(ProfileError, match="no card profile 'diners'"):
        load_profile("diners")


def test_commands_out_of_order_are_refused():
    card = load_profile("mastercard")
    cdol1 = bytes(43)                                                                # its CDOL1 asks 43 bytes
    assert card.process(bytes.fromhex("80AE80002B") + cdol1 + b"\x00")[-2:].hex() == "6985"   # GEN AC before GPO
    assert card.process(bytes.fromhex("80A800000383010000"))[-2:].hex() == "6985"  # GPO without selection
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


def test_commands_of_the_wrong_shape_are_refused():
    """The card checks each command as the book has it: a GPO must carry exactly the PDOL's bytes, GENERATE AC
    exactly the CDOL's, P1/P2 as defined; a kernel that drops or pads DOL data fails (6700), wrong P1/P2 6A86."""
    card = load_profile("mastercard")                       # PDOL 9F3501: one byte
    card.process(bytes.fromhex("00A4040007A000000004101000"))
    assert card.process(bytes.fromhex("80A80000028300" "00")).hex() == "6700"        # no PDOL data
    assert card.process(bytes.fromhex("80A8000004830222" "22" "00")).hex() == "6700"  # two bytes for one
    assert card.process(bytes.fromhex("80A80100038301" "22" "00")).hex() == "6a86"    # P1 01
    assert card.process(bytes.fromhex("80A80000038301" "22" "00"))[-2:].hex() == "9000"
    assert card.process(bytes.fromhex("80AE80002A") + bytes(42) + b"\x00").hex() == "6700"   # CDOL1 is 43
    assert card.process(bytes.fromhex("80AE80012B") + bytes(43) + b"\x00").hex() == "6a86"   # P2 01
    assert card.process(bytes.fromhex("80AE20002B") + bytes(43) + b"\x00").hex() == "6a86"   # P1 RFU bit
    assert card.process(bytes.fromhex("00B2010000")).hex() == "6a86"                  # READ RECORD P2 00
    assert card.process(bytes.fromhex("00A4000007A000000004101000")).hex() == "6a86"  # SELECT P1 00
    assert card.process(bytes.fromhex("0020008004" "24123400")).hex() == "6700"      # plaintext PIN block is 8
    assert card.process(bytes.fromhex("80A8000003830122")).hex()[-4:] != "6700"     # case 3 (no Le) is fine
    visa = load_profile("visa")                             # DDOL 9F3704: INTERNAL AUTHENTICATE carries 4 bytes
    visa.process(bytes.fromhex("00A4040007A000000003101000"))
    visa.process(bytes.fromhex("00C0000000"))
    visa.process(bytes.fromhex("80A8000002830000"))
    assert visa.process(bytes.fromhex("0088000008") + bytes(8) + b"\x00").hex() == "6700"
