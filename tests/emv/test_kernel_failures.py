"""Failure paths of a whole kernel run, in process. The fault injector below is a CardChannel that passes
everything to the real in-process channel and rewrites one chosen response: it stands in for a card that
answers garbage, which no virtual profile can do at every step."""
import pytest

from drivers.emulated.inprocess import InProcessChannel
from drivers.emulated.vcard import load_profile
from drivers.emvspec.ber_tlv import parse
from terminal.emv.config import AidConfig, EmvTerminalData, with_floor_limit
from terminal.emv.issuer import HostResponse
from terminal.emv.outcome import Decision
from terminal.emv.pin import EmulatedPinPad
from terminal.hostsim.issuer_emv import make_issuer_response


class FaultyChannel:
    """Rewrites the response to the n-th command (0-based) with `reply`."""

    def __init__(self, card, n: int, reply: bytes) -> None:
        self.inner = InProcessChannel(card)
        self.n, self.reply, self.count = n, reply, 0
        self.atr, self.protocol = self.inner.atr, self.inner.protocol

    def transmit(self, apdu: bytes) -> bytes:
        raw = self.inner.transmit(apdu)
        self.count += 1
        return self.reply if self.count - 1 == self.n else raw

    def close(self) -> None:
        self.inner.close()


def visa_config(**aid_changes) -> EmvTerminalData:
    cfg = EmvTerminalData()
    cfg.aids = tuple(AidConfig(**{**a.__dict__, **aid_changes}) if a.aid.hex() == "a0000000031010" else a
                     for a in cfg.aids)
    return cfg


def test_with_floor_limit_sets_every_aid(emv_sale):
    out = emv_sale("visa", amount=4000, config=with_floor_limit(EmvTerminalData(), 10000)).final
    assert out.decision is Decision.OFFLINE_APPROVED


def test_offline_approval_y1(emv_sale):
    # amount 40.00 under a floor limit of 100.00: TVR stays 0, TAA asks for a TC (Book 3 10.7), the card's own
    # risk management (offline limit 50.00) gives it.
    out = emv_sale("visa", amount=4000, config=visa_config(floor_limit=10000)).final
    assert out.decision is Decision.OFFLINE_APPROVED and out.chip_response_code == "Y1"
    assert out.tvr.hex() == "0000000000"
    advice = {o.tag: o.value for o in parse(out.field55_advice)}
    assert advice[0x9F27] == b"\x40" and advice[0x8A] == b"Y1"


def test_host_declines(emv_sale):
    result = emv_sale("visa", host="decline")
    out = result.final
    assert out.decision is Decision.ONLINE_DECLINED and out.cryptogram == "AAC"
    assert out.reason == "host declined (05)" and not out.reversal_needed
    assert "2nd GENERATE AC (AAC)" in [name for name, _, _ in result.trace]


def test_unable_to_go_online_declines_z3_by_default_action_codes(emv_sale):
    # TVR floor limit exceeded (byte 4 b8) is in the default TAC-Default DC4000A800 -> AAC (Book 3 10.7)
    out = emv_sale("visa", host=None).final
    assert out.decision is Decision.UNABLE_ONLINE_DECLINED and out.chip_response_code == "Z3"


def test_unable_to_go_online_approves_y3(emv_sale):
    out = emv_sale("visa", amount=4000, host=None, config=visa_config(tac_default=bytes(5))).final
    assert out.decision is Decision.UNABLE_ONLINE_APPROVED and out.chip_response_code == "Y3"
    assert {o.tag: o.value for o in parse(out.field55_advice)}[0x8A] == b"Y3"


def test_card_removed_after_host_approval_needs_reversal(emv_sale):
    card = load_profile("visa")
    channel = InProcessChannel(card)

    def approve_then_pull(first):
        channel.remove()
        return HostResponse("00", make_issuer_response(first.field55_request, first.pan, first.psn, True))

    out = emv_sale("visa", card=card, channel=channel, host=approve_then_pull).final
    assert out.decision is Decision.ABORTED and out.reversal_needed
    assert out.reason.startswith("card error: reader 'emulated': the card was removed")


def test_wrong_arpc_card_declines_and_reversal_needed(emv_sale):
    def forged(first):
        data = bytearray(make_issuer_response(first.field55_request, first.pan, first.psn, True))
        data[3] ^= 0xFF                            # one ARPC byte wrong
        return HostResponse("00", bytes(data))

    out = emv_sale("visa", host=forged).final
    assert out.decision is Decision.ONLINE_DECLINED and out.reversal_needed
    assert "issuer_authentication_failed" in out.tvr_names()
    assert out.reason == "card declined (AAC) after host approval"


def test_cda_card_with_forged_arpc_in_cdol2(emv_sale):
    def forged(first):
        data = bytearray(make_issuer_response(first.field55_request, first.pan, first.psn, True))
        data[2] ^= 0x01
        return HostResponse("00", bytes(data))

    out = emv_sale("mastercard", host=forged).final
    assert out.decision is Decision.ONLINE_DECLINED and out.reversal_needed


def test_issuer_scripts_before_and_after(emv_sale):
    def with_scripts(first):
        data = make_issuer_response(first.field55_request, first.pan, first.psn, True,
                                    scripts_before=[bytes.fromhex("8424000000")],
                                    scripts_after=[bytes.fromhex("84DA9F1402"), bytes.fromhex("84FF000000")])
        return HostResponse("00", data)

    result = emv_sale("visa", host=with_scripts)
    out = result.final
    assert out.decision is Decision.ONLINE_APPROVED
    # 9F5B: script 1 (71) performed '20'; script 2 (72) failed at its 2nd command (6D00) '12' (Book 3 Annex A)
    assert out.issuer_script_results.hex().upper() == "20" "00000001" "12" "00000001"
    assert out.tvr_names()[-1] == "script_failed_after_final_ac"
    assert "script_processing_performed" in out.tsi_names()
    names = [n for n, _, _ in result.trace]
    assert names.index("issuer script command 1") < names.index("2nd GENERATE AC (TC)")
    assert {o.tag: o.value for o in parse(out.field55_advice)}[0x9F5B] == out.issuer_script_results


def test_wrong_pin_then_right_pin(emv_sale):
    pinpad = EmulatedPinPad("1234", wrong_first=1)
    result = emv_sale("visa", pinpad=pinpad)
    verifies = [resp[-2:].hex().upper() for name, _, resp in result.trace if name == "VERIFY"]
    assert verifies == ["63C2", "9000"] and pinpad.prompts == 2
    assert result.final.cvm == "offline_pin"


def test_no_pin_entered_falls_back_to_signature(emv_sale):
    out = emv_sale("visa", pin=None).final
    # 4103 fails (PIN not entered), 4203 fails (not entered), 5E03 signature: result unknown (00)
    assert out.cvm_results.hex().upper() == "5E0300" and out.signature_required
    assert "pin_not_entered" in out.tvr_names()


def test_terminal_without_cda_uses_dda_on_mastercard(emv_sale):
    out = emv_sale("mastercard", config=EmvTerminalData(capabilities=bytes.fromhex("E0F8C0"))).final
    assert out.decision is Decision.ONLINE_APPROVED


def test_gpo_conditions_not_satisfied_tries_next_application(emv_sale):
    card = load_profile("unionpay")
    # command 0 PSE, 1-2 directory records, 3 final SELECT debit, 4 GPO -> 6985, then credit is selected
    result = emv_sale("unionpay", card=card, channel=FaultyChannel(card, 4, b"\x69\x85"))
    assert result.final.decision is Decision.ONLINE_APPROVED
    assert result.final.application == "A000000333010102"


VISA_STEPS = 17   # commands of a whole online visa sale (see test_kernel_profiles)


@pytest.mark.parametrize("step", range(VISA_STEPS))
@pytest.mark.parametrize("reply", [b"\x70\x05\x5a\x09", b"\x6f\x00", b"\x01", b"\x90\x00"],
                         ids=["bad-tlv", "sw-6F00", "no-sw", "empty"])
def test_every_bad_response_ends_cleanly(emv_sale, step, reply):
    card = load_profile("visa")
    result = emv_sale("visa", card=card, channel=FaultyChannel(card, step, reply))
    out = result.final
    assert out.decision in set(Decision) - {Decision.GO_ONLINE}
    if out.decision is Decision.ABORTED:
        assert out.reason
    # the host approved only if the kernel reached the online step; a later abort must ask for a reversal
    online = result.first.decision is Decision.GO_ONLINE
    if online and out.decision is Decision.ABORTED:
        assert out.reversal_needed
    if not online:
        assert not out.reversal_needed


def test_card_pulled_during_scripts_after_final_ac_keeps_the_approval(emv_sale):
    card = load_profile("visa")
    channel = InProcessChannel(card)
    real = channel.transmit

    def pull_at_script(apdu):
        if apdu[0] == 0x84:                       # the first issuer script command (template 72)
            channel.remove()
        return real(apdu)

    channel.transmit = pull_at_script

    def with_script(first):
        return HostResponse("00", make_issuer_response(first.field55_request, first.pan, first.psn, True,
                                                       scripts_after=[bytes.fromhex("8424000000")]))

    out = emv_sale("visa", card=card, channel=channel, host=with_script).final
    assert out.decision is Decision.ONLINE_APPROVED and not out.reversal_needed
    assert "script_failed_after_final_ac" in out.tvr_names()
    assert "card error during issuer scripts" in out.reason


def test_sans_io_api_misuse_is_refused():
    from terminal.emv.kernel import EmvKernel, Finished, OnlineRequest
    from tests.fixtures.emv import make_transaction
    kernel = EmvKernel(EmvTerminalData(), make_transaction())
    with pytest.raises(RuntimeError):
        kernel.host_response(None)
    card = load_profile("visa")
    channel = InProcessChannel(card)
    step = kernel.start()
    with pytest.raises(RuntimeError):
        kernel.start()
    while not isinstance(step, (OnlineRequest, Finished)):
        step = kernel.card_response(channel.transmit(step.apdu))
    assert isinstance(step, OnlineRequest)
    with pytest.raises(RuntimeError):
        kernel.card_response(b"\x90\x00")
    step = kernel.host_response(None)
    while not isinstance(step, Finished):
        step = kernel.card_response(channel.transmit(step.apdu))
    assert step.outcome.decision is Decision.UNABLE_ONLINE_DECLINED
