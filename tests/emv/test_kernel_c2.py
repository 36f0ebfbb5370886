"""Book C-2 (Mastercard M/Chip contactless) through the Book B entry point, against the emulated
'mchip-contactless' card: one GENERATE AC with CDA, online; no second GENERATE AC."""
from dataclasses import replace

from drivers.emulated.vcard import card_image
from drivers.emulated.vcard.engine import VirtualEmvCard
from terminal.emv.outcome import Decision
from terminal.hostsim.issuer_emv import verify_arqc


def test_online_with_cda(emv_sale):
    result = emv_sale("mchip-contactless", amount=1234)
    out = result.final
    assert [n for n, _, _ in result.trace] == ["SELECT", "SELECT", "GET PROCESSING OPTIONS", "READ RECORD 1.1",
                                               "READ RECORD 2.1", "READ RECORD 3.1", "READ RECORD 3.2",
                                               "1st GENERATE AC (ARQC, CDA)"]
    assert (result.first.decision, out.decision, out.kernel, out.cvm) == (
        Decision.GO_ONLINE, Decision.ONLINE_APPROVED, "C-2", "no_cvm")
    # floor limit 0 exceeded (TVR byte 4 b8); CDA's signature verified, so TVR byte 1 stays clear
    assert out.tvr.hex().upper() == "0000008000" and out.entry_mode == "071"
    assert verify_arqc(result.first.field55_request, out.pan, out.psn)


def test_online_pin_at_the_cvm_required_limit(emv_sale):
    out = emv_sale("mchip-contactless", amount=5000).final
    assert out.cvm == "online_pin" and out.pin_block and out.cvm_results.hex().upper() == "420300"


def test_cda_failure_declines(emv_sale):
    card = VirtualEmvCard(replace(card_image("mchip-contactless"), faults={"corrupt_signature": True}))
    out = emv_sale("mchip-contactless", amount=1234, card=card).final
    assert out.decision is Decision.OFFLINE_DECLINED and out.reason.startswith("CDA failed")


def test_no_host_declines(emv_sale):
    out = emv_sale("mchip-contactless", amount=1234, host=None).final
    assert out.decision is Decision.UNABLE_ONLINE_DECLINED and out.chip_response_code == "Z3"
