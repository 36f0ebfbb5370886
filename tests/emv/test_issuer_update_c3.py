"""Book C-3 issuer update processing, case by case, in process against the emulated qVSDC card with CTQ byte 2
b7 (the card supports issuer update at the POS) and the real issuer side of the host simulator (ARPC, MACed
scripts). The second presentation is the same virtual card answering on a new session."""
from dataclasses import replace

from drivers.emulated.inprocess import InProcessChannel
from drivers.emulated.vcard import card_image
from drivers.emulated.vcard.engine import VirtualEmvCard
from drivers.emvspec.ber_tlv import encode_many, parse
from terminal.emv.config import EmvTerminalData
from terminal.emv.issuer import HostResponse
from terminal.emv.kernel import EmvKernel
from terminal.emv.outcome import Decision
from terminal.emv.runner import KernelRunner
from terminal.hostsim.issuer_emv import make_issuer_response, named_scripts
from tests.fixtures.emv import make_transaction

UPDATE_CTQ = b"\x00\x40"          # CTQ byte 2 b7: card supports issuer update processing at the POS


def updating_card(ctq: bytes = UPDATE_CTQ) -> VirtualEmvCard:
    return VirtualEmvCard(replace(card_image("contactless"), ctq=ctq))


def reader(issuer_update: bool = True) -> EmvTerminalData:
    cfg = EmvTerminalData(contactless_interface=True)
    return replace(cfg, aids=tuple(replace(a, issuer_update=issuer_update) for a in cfg.aids))


def sale(card, *, config=None, auth=True, scripts=(), approve=True, present=lambda: True):
    """One online tap, the issuer's answer (91 when `auth`, the named scripts), then the second tap."""
    trace = []
    kernel = EmvKernel(config or reader(), make_transaction(1234))
    runner = KernelRunner(InProcessChannel(card, protocol="contactless"), kernel,
                          tracer=lambda n, c, r: trace.append((n, c, r)), present_again=present)
    first = runner.run()
    assert first.decision is Decision.GO_ONLINE
    before, after = named_scripts(first.field55_request, first.pan, first.psn, scripts)
    data = make_issuer_response(first.field55_request, first.pan, first.psn, approve, before, after)
    if not auth:
        data = encode_many((o.tag, o.value) for o in parse(data) if o.tag != 0x91)
    final = runner.complete(HostResponse("00" if approve else "05", data))
    return first, final, trace


def second_tap(trace):
    names = [n for n, _, _ in trace]
    return names[names.index("READ RECORD 2.1") + 1:]


def test_reader_advertises_issuer_update_only_when_configured():
    _, _, trace = sale(updating_card(), config=reader(issuer_update=False))
    gpo = [c for n, c, _ in trace if n == "GET PROCESSING OPTIONS"][0]
    assert gpo[7:11].hex() == "26804000"                               # TTQ byte 3 b8 = 0
    _, _, trace = sale(updating_card())
    gpo = [c for n, c, _ in trace if n == "GET PROCESSING OPTIONS"][0]
    assert gpo[7:11].hex() == "2680c000"                               # TTQ byte 3 b8 = 1


def test_issuer_authentication_data_only():
    first, final, trace = sale(updating_card())
    assert second_tap(trace) == ["SELECT", "EXTERNAL AUTHENTICATE"]
    ext = [(c, r) for n, c, r in trace if n == "EXTERNAL AUTHENTICATE"][0]
    assert ext[0][:5].hex() == "008200000a" and ext[1] == b"\x90\x00"   # the card checked the ARPC: 9000
    assert final.decision is Decision.ONLINE_APPROVED and final.issuer_script_results == b""
    assert final.issuer_update == "delivered on the second tap: EXTERNAL AUTHENTICATE 9000"
    assert final.tsi[0] & 0x10 and not final.tvr[4] & 0x40              # TSI issuer auth performed, not failed
    assert (final.kernel, final.contactless_outcome, final.ui_request) == ("C-3", "approved", "Approved")


def test_scripts_only_71_before_72():
    card = updating_card()
    first, final, trace = sale(card, auth=False, scripts=("block", "pin_unblock"))
    assert second_tap(trace) == ["SELECT", "issuer script command 1", "issuer script command 1"]
    sent = [c for n, c, _ in trace if n.startswith("issuer script")]
    assert [c[:2].hex() for c in sent] == ["8424", "841e"]             # template 71 (PIN unblock) before 72
    assert final.issuer_script_results.hex() == "2000000001" * 2        # both scripts successful
    assert final.decision is Decision.ONLINE_APPROVED
    assert bytes.fromhex("A0000000031010") in card.blocked             # APPLICATION BLOCK reached the card
    advice = {o.tag: o.value for o in parse(final.field55_advice)}
    assert advice[0x9F5B].hex() == "2000000001" * 2


def test_declined_answer_still_delivers_the_block_script():
    card = updating_card()
    _, final, _ = sale(card, scripts=("block",), approve=False)
    assert final.decision is Decision.ONLINE_DECLINED and final.reason == "host declined (05)"
    assert bytes.fromhex("A0000000031010") in card.blocked
    assert final.issuer_script_results.hex() == "2000000001"


def test_a_script_with_a_wrong_mac_fails_on_the_card():
    card = updating_card()
    kernel = EmvKernel(reader(), make_transaction(1234))
    runner = KernelRunner(InProcessChannel(card, protocol="contactless"), kernel)
    first = runner.run()
    data = make_issuer_response(first.field55_request, first.pan, first.psn, True,
                                scripts_after=[bytes.fromhex("841E00000401020304")])
    final = runner.complete(HostResponse("00", data))
    assert final.issuer_script_results.hex() == "1100000001" and final.tvr[4] & 0x10   # failed after final
    assert final.decision is Decision.ONLINE_APPROVED and not card.blocked


def test_card_without_issuer_update_support_is_not_asked_again():
    asked = []
    _, final, trace = sale(updating_card(ctq=b"\x00\x00"), scripts=("block",),
                           present=lambda: asked.append(1) or True)
    assert asked == [] and second_tap(trace) == []
    assert final.decision is Decision.ONLINE_APPROVED and final.issuer_update == ""


def test_card_not_presented_again_leaves_the_host_decision():
    card = updating_card()
    _, final, trace = sale(card, scripts=("block",), present=lambda: False)
    assert second_tap(trace) == [] and not card.blocked
    assert final.decision is Decision.ONLINE_APPROVED and final.reason == ""
    assert final.issuer_script_results.hex() == "0000000001"           # script not performed
    assert final.issuer_update == "not delivered: the card was not presented again"


def test_card_pulled_during_the_second_tap_keeps_the_approval():
    card = updating_card()
    channel = InProcessChannel(card, protocol="contactless")
    kernel = EmvKernel(reader(), make_transaction(1234))

    def present():
        channel.remove()       # the card comes near the reader and leaves before the first command
        return True
    runner = KernelRunner(channel, kernel, present_again=present)
    first = runner.run()
    final = runner.complete(HostResponse("00", make_issuer_response(first.field55_request, first.pan, first.psn,
                                                                    True)))
    assert final.decision is Decision.ONLINE_APPROVED and not final.reversal_needed
    assert final.issuer_update.startswith("interrupted: ") and final.kernel == "C-3"


def test_the_card_checks_second_tap_commands_strictly():
    card = updating_card()
    sale(card, config=reader(issuer_update=False))        # an online transaction: the card keeps its ARQC
    channel = InProcessChannel(card, protocol="contactless")
    assert channel.transmit(bytes.fromhex("00A4040007A0000000031010"))[-2:] == b"\x90\x00"
    assert channel.transmit(bytes.fromhex("841E0000050102030405"))[-2:] == b"\x67\x00"    # the MAC alone: 4 bytes
    assert channel.transmit(bytes.fromhex("841E01000401020304"))[-2:] == b"\x6a\x86"      # P1 must be 00
    assert channel.transmit(bytes.fromhex("841E00000401020304"))[-2:] == b"\x69\x88"      # wrong MAC
    assert channel.transmit(bytes.fromhex("0082000004" + "00" * 4))[-2:] == b"\x67\x00"    # ARPC 8..16 bytes
    assert channel.transmit(bytes.fromhex("008200000A" + "00" * 10))[-2:] == b"\x63\x00"   # wrong ARPC
    # in the first session (after GPO) the card takes no issuer data
    fresh = InProcessChannel(updating_card(), protocol="contactless")
    assert fresh.transmit(bytes.fromhex("00A4040007A0000000031010"))[-2:] == b"\x90\x00"
    assert fresh.transmit(bytes.fromhex("008200000A" + "00" * 10))[-2:] == b"\x69\x85"    # nothing to answer
