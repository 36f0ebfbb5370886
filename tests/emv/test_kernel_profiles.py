"""One whole kernel run per card profile, in process (real virtual card engine, real in-process channel, real
issuer key derivation). Expected TVR/TSI/CVM Results are worked out from EMV Book 3 for each profile's data:
the comments say which bit comes from where."""
import pytest

from drivers.emvspec.ber_tlv import parse
from terminal.emv.field55 import check
from terminal.emv.outcome import Decision
from terminal.emv.tags import FORBIDDEN_IN_FIELD55
from terminal.hostsim.issuer_emv import verify_arqc

# TVR byte 4 bit 8 (floor limit exceeded) is set in every online case: the demo floor limit is 0 (Book 3 10.6.1).
CASES = {
    # profile: (first decision, final decision, TVR, TSI, CVM Results 9F34, cvm, entry mode)
    "visa": (Decision.GO_ONLINE, Decision.ONLINE_APPROVED, "0000008000", "F800", "410302", "offline_pin", "051"),
    # CDA: issuer authentication goes through CDOL2 (91 in CDOL2), so TSI 'issuer authentication performed'
    # (set when EXTERNAL AUTHENTICATE is sent, Book 3 10.9) stays clear: E8 instead of F8.
    "mastercard": (Decision.GO_ONLINE, Decision.ONLINE_APPROVED, "0000008000", "E800", "440302",
                   "enciphered_offline_pin", "051"),
    # SDA selected (TVR byte 1 b2), online PIN entered (byte 3 b3), CVM result 'unknown' for online PIN (C3)
    "unionpay": (Decision.GO_ONLINE, Decision.ONLINE_APPROVED, "0200048000", "F800", "420300", "online_pin", "051"),
    # 'contactless' is a Book C-3 qVSDC card now: tests/emv/test_kernel_c3.py
    # expired application (TVR byte 2 b7) matches the card's IAC-Denial 0040000000 -> AAC -> Z1
    "expired": (Decision.OFFLINE_DECLINED, Decision.OFFLINE_DECLINED, "0040008000", "E800", "410302",
                "offline_pin", "051"),
    # DDA failed (byte 1 b4) matches IAC-Denial 0800000000
    "bad-oda": (Decision.OFFLINE_DECLINED, Decision.OFFLINE_DECLINED, "0800008000", "E800", "410302",
                "offline_pin", "051"),
    # PIN try counter 0: PIN try limit exceeded (byte 3 b6) + CVM not successful (byte 3 b8); rule 0100 failed
    "pin-blocked": (Decision.OFFLINE_DECLINED, Decision.OFFLINE_DECLINED, "0000A08000", "E800", "010001",
                    "failed", "051"),
}


@pytest.mark.parametrize("profile", sorted(CASES))
def test_profile_sale(emv_sale, profile):
    first_decision, final_decision, tvr, tsi, cvm_results, cvm, entry = CASES[profile]
    result = emv_sale(profile)
    out = result.final
    assert (result.first.decision, out.decision) == (first_decision, final_decision)
    assert out.tvr.hex().upper() == tvr
    assert out.tsi.hex().upper() == tsi
    assert out.cvm_results.hex().upper() == cvm_results
    assert out.cvm == cvm
    assert out.entry_mode == entry
    assert out.reversal_needed is False
    image = result.card.image
    assert out.pan == image.pan
    assert out.track2 == image.tracks.track2
    assert out.expiry == image.raw["expiry"][:4]
    assert out.psn == f"{int(image.psn):03d}"
    for blob in (out.field55_request, out.field55_advice):
        check(blob)
        assert len(blob) <= 255
        assert not {o.tag for o in parse(blob)} & FORBIDDEN_IN_FIELD55
    # the issuer recomputes the card's first cryptogram (ARQC, or the AAC of an offline decline) from field 55
    assert verify_arqc(result.first.field55_request, out.pan, out.psn)


def test_online_sale_field55_and_advice(emv_sale):
    out = emv_sale("visa").final
    request = {o.tag: o.value for o in parse(out.field55_request)}
    advice = {o.tag: o.value for o in parse(out.field55_advice)}
    assert request[0x9F27] == b"\x80"                      # ARQC in the 0200
    assert request[0x9F02].hex() == "000000012345"
    assert request[0x9F37].hex().upper() == "A1B2C3D4"
    assert request[0x9A].hex() == "250601"
    assert request[0x84].hex().upper() == "A0000000031010"
    assert advice[0x9F27] == b"\x40"                       # the TC of the second GENERATE AC
    assert advice[0x8A] == b"00"
    assert advice[0x9F26] != request[0x9F26]


def test_blocked_application_aborts_with_reason(emv_sale):
    out = emv_sale("blocked").final
    assert out.decision is Decision.ABORTED
    assert out.reason == "no application selected: A0000000031010 blocked (SW 6283)"
    assert out.pan == "" and out.field55_request == b""


def test_bad_tlv_aborts_with_reason(emv_sale):
    out = emv_sale("bad-tlv").final
    assert out.decision is Decision.ABORTED
    assert out.reason.startswith("READ RECORD 2.1: bad TLV at byte 0 (tag 70): value of 159 bytes runs")
    assert out.reversal_needed is False


def test_t0_card_goes_through_get_response(emv_sale):
    result = emv_sale("visa")
    # the visa profile answers case-4 commands with 61xx: the channel sends GET RESPONSE for each of them
    case4 = [name for name, apdu, _ in result.trace if len(apdu) > 5 and apdu[4] + 5 < len(apdu)]
    assert result.runner.channel.exchanges == result.final.apdu_count + len(case4)
    assert result.runner.round_trips == result.final.apdu_count


def test_pse_absent_uses_the_aid_list(emv_sale):
    result = emv_sale("mastercard")
    # Book 1 12.3.3: PSE not found (6A82), then SELECT each terminal AID in order, then the final SELECT (12.4)
    selects = [(apdu[5:5 + apdu[4]].hex().upper(), resp[-2:].hex().upper())
               for name, apdu, resp in result.trace if name == "SELECT"]
    assert selects == [("315041592E5359532E4444463031", "6A82"), ("A0000000031010", "6A82"),
                       ("A0000000041010", "9000"), ("A000000333010101", "6A82"), ("A000000333010102", "6A82"),
                       ("A00000002501", "6A82"), ("A0000000041010", "9000")]


def test_repr_and_summary_never_show_card_data(emv_sale):
    out = emv_sale("visa").final
    assert "4761739001010010" not in repr(out) and "4761739001010010" not in out.summary()
    assert "476173******0010" in out.summary()


def test_online_pin_block_for_field_52(emv_sale):
    from drivers.emvspec.crypto import tdes_decrypt
    from terminal.emv.pin import format0_block
    out = emv_sale("unionpay").final
    # the emulated pad's default TDES PIN key; ISO 9564 format 0 with the PAN's 12 digits before the check digit
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    assert tdes_decrypt(key, out.pin_block) == format0_block("123456", out.pan)
    # 041234FFFFFFFFFF xor 0000173900101001 (PAN 476173900101001 without check digit, rightmost 12)
    assert format0_block("1234", "4761739001010010").hex().upper() == "041223C6FFEFEFFE"
