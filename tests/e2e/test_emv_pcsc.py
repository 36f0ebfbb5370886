"""One whole EMV sale per card profile through the real PC/SC stack: the virtual card served to pcscd by vpcd
(tests/fixtures/pcscd.py), pyscard and drivers/pcsc on the terminal side, the kernel and the issuer side exactly
as in process. The outcome must be the same as in process (tests/emv/test_kernel_profiles.py)."""
import pytest

from drivers import pcsc
from drivers.emulated.vcard import load_profile
from terminal.emv.outcome import Decision
from tests.emv.test_kernel_profiles import CASES

WAIT = 20.0


@pytest.mark.parametrize("profile", sorted(CASES) + ["blocked", "bad-tlv"])
def test_profile_sale_through_pcscd(pcsc_stack, emv_sale, profile):
    card = load_profile(profile)
    contactless = profile == "contactless"
    pcsc_stack.serve(card, contactless=contactless)
    with pcsc.wait_for_card(pcsc_stack.reader(0), WAIT) as channel:
        result = emv_sale(profile, card=card, channel=channel)
    out = result.final
    if profile in CASES:
        _, final, tvr, tsi, cvm_results, _, entry = CASES[profile]
        assert (out.decision, out.tvr.hex().upper(), out.tsi.hex().upper(), out.cvm_results.hex().upper(),
                out.entry_mode) == (final, tvr, tsi, cvm_results, entry)
    else:
        assert out.decision is Decision.ABORTED and out.reason
    assert not out.reversal_needed


def test_card_pulled_after_host_approval_through_pcscd(pcsc_stack, emv_sale):
    from terminal.emv.issuer import HostResponse
    from terminal.hostsim.issuer_emv import make_issuer_response

    card = load_profile("visa")
    server = pcsc_stack.serve(card)

    def approve_then_pull(first):
        pcsc_stack.remove(server)
        return HostResponse("00", make_issuer_response(first.field55_request, first.pan, first.psn, True))

    with pcsc.wait_for_card(pcsc_stack.reader(0), WAIT) as channel:
        out = emv_sale("visa", card=card, channel=channel, host=approve_then_pull).final
    assert out.decision is Decision.ABORTED and out.reversal_needed
    assert out.reason.startswith("card error:")
