"""Book C-3 (Visa qVSDC) through the Book B entry point, one test per outcome, in process against the emulated
qVSDC cards (profiles 'contactless': online; 'qvsdc-offline': fDDA). Each test names the Book C-3 rule."""
from dataclasses import replace

import pytest

from drivers.emulated.vcard import card_image
from drivers.emulated.vcard.engine import VirtualEmvCard
from drivers.emvspec.ber_tlv import parse
from terminal.emv.config import EmvTerminalData
from terminal.emv.contactless.entry_point import pre_process, requested_kernel
from terminal.emv.outcome import Decision
from terminal.hostsim.issuer_emv import verify_arqc


def card(profile, **changes):
    return VirtualEmvCard(replace(card_image(profile), **changes))


def offline_config(**aid_changes):
    """Reader floor limit 50.00 (the demo's is 0: every tap would need an online cryptogram)."""
    cfg = EmvTerminalData(contactless_interface=True)
    return replace(cfg, aids=tuple(replace(a, cl_floor_limit=5000, **aid_changes) for a in cfg.aids))


def names(result):
    return [name for name, _, _ in result.trace]


def test_online_with_the_arqc_from_gpo(emv_sale):
    result = emv_sale("contactless", amount=1234)
    out = result.final
    # qVSDC: the card's ARQC comes with GPO format 2 (9F26, 9F27 = 80), no CDOL1, no GENERATE AC at all
    assert names(result) == ["SELECT", "SELECT", "GET PROCESSING OPTIONS", "READ RECORD 1.1", "READ RECORD 2.1"]
    assert result.first.decision is Decision.GO_ONLINE and result.first.ui_request == "Card read OK, remove card"
    assert (out.decision, out.kernel, out.contactless_outcome, out.ui_request) == (
        Decision.ONLINE_APPROVED, "C-3", "approved", "Approved")
    request = {o.tag: o.value for o in parse(result.first.field55_request)}
    assert request[0x9F27] == b"\x80" and 0x9F26 in request and request[0x9F66].hex() == "26804000"   # floor limit 0: online required
    assert verify_arqc(result.first.field55_request, out.pan, out.psn)
    assert 0x8C not in {o.tag for o in parse(result.card.image.records[(2, 1)])[0].children()}   # no CDOL1
    # the PPSE entry has no label: the name is the FCI's (the real cards)
    assert out.application_label == "VISA CREDIT" and out.entry_mode == "071" and out.cvm == "no_cvm"


def test_cvm_required_limit_gives_online_pin(emv_sale):
    # 123.45 >= CVM required limit 50.00: TTQ 'CVM required'; the card's CTQ asks online PIN
    result = emv_sale("contactless", amount=12345)
    gpo = [c for n, c, _ in result.trace if n == "GET PROCESSING OPTIONS"][0]
    assert gpo[7:11].hex() == "26c04000"                   # TTQ byte 2: b8 (floor limit 0), b7 CVM required
    assert result.final.cvm == "online_pin" and result.final.pin_block
    assert result.final.decision is Decision.ONLINE_APPROVED


def test_online_declined(emv_sale):
    out = emv_sale("contactless", amount=1234, host="decline").final
    assert (out.decision, out.contactless_outcome, out.ui_request) == (Decision.ONLINE_DECLINED, "declined",
                                                                        "Not authorised")


def test_no_host_declines_an_arqc(emv_sale):
    out = emv_sale("contactless", amount=1234, host=None).final
    assert out.decision is Decision.UNABLE_ONLINE_DECLINED and out.chip_response_code == "Z3"


def test_offline_approved_with_fdda(emv_sale):
    result = emv_sale("qvsdc-offline", amount=1234, config=offline_config())
    out = result.final
    assert result.first is out and out.decision is Decision.OFFLINE_APPROVED and out.chip_response_code == "Y1"
    assert out.cryptogram == "TC" and out.tvr.hex() == "0000000000" and "GENERATE" not in " ".join(names(result))
    assert verify_arqc(out.field55_request, out.pan, out.psn)     # the TC goes in the advice


def test_floor_limit_exceeded_asks_for_an_online_cryptogram(emv_sale):
    # the demo's floor limit 0: TTQ byte 2 b8 'online cryptogram required', the same card answers ARQC
    result = emv_sale("qvsdc-offline", amount=1234)
    assert result.first.decision is Decision.GO_ONLINE and result.final.decision is Decision.ONLINE_APPROVED


def test_fdda_failed_goes_online_when_the_ctq_says_so(emv_sale):
    result = emv_sale("qvsdc-offline", amount=1234, config=offline_config(),
                      card=card("qvsdc-offline", faults={"corrupt_signature": True}))
    assert result.first.decision is Decision.GO_ONLINE and result.first.tvr.hex() == "0800000000"
    assert "fDDA failed" in result.first.reason


def test_fdda_failed_declines_without_the_ctq_bit(emv_sale):
    out = emv_sale("qvsdc-offline", amount=1234, config=offline_config(),
                   card=card("qvsdc-offline", faults={"corrupt_signature": True}, ctq=b"\x00\x00")).final
    assert out.decision is Decision.OFFLINE_DECLINED and out.contactless_outcome == "declined"


def test_fdda_failed_switches_interface_when_the_ctq_says_so(emv_sale):
    out = emv_sale("qvsdc-offline", amount=1234, config=offline_config(),
                   card=card("qvsdc-offline", faults={"corrupt_signature": True}, ctq=b"\x10\x00")).final
    assert (out.decision, out.contactless_outcome, out.alternate_interface) == (
        Decision.ABORTED, "try_another_interface", "contact")


def test_aac_is_declined(emv_sale):
    out = emv_sale("contactless", amount=1234, card=card("contactless", faults={"always_aac": True})).final
    assert out.decision is Decision.OFFLINE_DECLINED and out.cryptogram == "AAC"


def test_see_phone_is_try_again(emv_sale):
    # GPO 6986: the phone wants its cardholder first (consumer device CVM): Try Again, 'See phone'
    out = emv_sale("contactless", amount=12345, card=card("contactless", faults={"cdcvm_pending": True})).final
    assert (out.decision, out.contactless_outcome, out.ui_request) == (
        Decision.ABORTED, "try_again", "See phone for instructions")


def test_reader_without_qvsdc_is_told_to_try_another_interface(emv_sale):
    cfg = EmvTerminalData(contactless_interface=True)
    cfg = replace(cfg, aids=tuple(replace(a, ttq=bytes.fromhex("06004000")) for a in cfg.aids))
    out = emv_sale("contactless", amount=1234, config=cfg).final       # card answers 6984
    assert (out.contactless_outcome, out.ui_request) == ("try_another_interface", "Please insert card")


def test_over_the_contactless_transaction_limit(emv_sale):
    result = emv_sale("contactless", amount=100000)                    # 1000.00 = the limit: not allowed
    out = result.final
    assert names(result) == ["SELECT"] and out.contactless_outcome == "try_another_interface"
    assert out.ui_request == "Insert, swipe or try another card"


def test_expired_card_offline_is_declined(emv_sale):
    expired = card("qvsdc-offline")
    from datetime import datetime, timezone
    from tests.fixtures.emv import make_transaction
    txn = make_transaction(1234)
    txn = replace(txn, now=datetime(2031, 1, 2, tzinfo=timezone.utc))   # the card expires 2030-12-31
    out = emv_sale("qvsdc-offline", config=offline_config(), card=expired, txn=txn).final
    assert out.decision is Decision.OFFLINE_DECLINED and out.reason == "application expired"


def test_pdol_without_ttq_is_select_next(emv_sale):
    out = emv_sale("contactless", amount=1234, card=card("contactless", pdol=bytes.fromhex("9F0206"),
                                                         pdol_entries=[(0x9F02, 6)])).final
    assert out.contactless_outcome == "end_application" and out.decision is Decision.ABORTED


def test_cid_from_the_iad_when_9f27_is_absent(emv_sale):
    out = emv_sale("contactless", amount=1234, card=card("contactless", faults={"no_cid": True})).final
    assert out.decision is Decision.ONLINE_APPROVED


@pytest.mark.parametrize("amount, expected", [(0, (False, False, False, True)), (4999, (False, False, False, False)),
                                              (5000, (False, False, True, False)), (5001, (False, True, True, True)),
                                              (100000, (True, True, True, True))])
def test_pre_processing_indicators(amount, expected):
    aid = replace(EmvTerminalData().aids[0], cl_floor_limit=5000)
    ind = pre_process(aid, amount)
    assert (ind.not_allowed, ind.floor_limit_exceeded, ind.cvm_required, ind.online_required) == expected


def test_kernel_identifier():
    visa, mc = bytes.fromhex("A0000000031010"), bytes.fromhex("A0000000041010")
    assert requested_kernel(b"", visa) == 3 and requested_kernel(b"", mc) == 2
    assert requested_kernel(b"\x02", visa) == 2 and requested_kernel(b"\x00", mc) == 2
    assert requested_kernel(b"\x83\x00\x01", visa) == 0                  # a domestic kernel: not ours
