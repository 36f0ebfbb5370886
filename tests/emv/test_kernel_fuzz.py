"""Hypothesis: whatever a card answers at whatever step, a kernel run ends with an outcome (never an exception),
an abort always carries a reason, and the reason is a named check (the kernel's last-resort net for unnamed
defects is never needed). The channels below pass everything to the real virtual card and rewrite one response:
they stand in for a broken card, which no profile can be at every step."""
from hypothesis import HealthCheck, given, settings, strategies as st

from drivers.emulated.inprocess import InProcessChannel
from drivers.emulated.vcard import load_profile
from drivers.emvspec.ber_tlv import Tlv, parse
from drivers.emvspec.errors import TlvError
from terminal.emv.errors import EmvError
from terminal.emv.issuer import HostResponse
from terminal.emv.outcome import Decision
from terminal.hostsim.issuer_emv import make_issuer_response
from tests.emv.test_kernel_failures import FaultyChannel

PROFILES = ["visa", "mastercard", "unionpay", "contactless"]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def tolerant_host(first):
    try:
        return HostResponse("00", make_issuer_response(first.field55_request, first.pan, first.psn, True))
    except EmvError:                    # field 55 built from a broken card may not be verifiable
        return HostResponse("05", b"")


def check(result):
    out = result.final
    assert out.decision is not Decision.GO_ONLINE
    if out.decision is Decision.ABORTED:
        assert out.reason and "could not be used" not in out.reason


@SETTINGS
@given(profile=st.sampled_from(PROFILES), step=st.integers(0, 20), reply=st.binary(max_size=64))
def test_random_response_never_crashes(emv_sale, profile, step, reply):
    card = load_profile(profile)
    check(emv_sale(profile, card=card, channel=FaultyChannel(card, step, reply), host=tolerant_host))


class MutatingChannel:
    """Replaces the value of one primitive object (chosen by `pick`) in the response to command `n`."""

    def __init__(self, card, n: int, pick: int, value: bytes) -> None:
        self.inner, self.n, self.pick, self.value, self.count = InProcessChannel(card), n, pick, value, 0
        self.atr, self.protocol = self.inner.atr, self.inner.protocol

    def _rebuild(self, obj: Tlv, counter: list[int]) -> bytes:
        if obj.constructed:
            return Tlv(obj.tag, b"".join(self._rebuild(c, counter) for c in obj.children())).encode()
        counter[0] += 1
        return Tlv(obj.tag, self.value if counter[0] - 1 == self.pick else obj.value).encode()

    def transmit(self, apdu: bytes) -> bytes:
        raw = self.inner.transmit(apdu)
        self.count += 1
        if self.count - 1 != self.n or len(raw) <= 2:
            return raw
        try:
            objs = parse(raw[:-2])
        except TlvError:
            return raw
        counter = [0]
        return b"".join(self._rebuild(o, counter) for o in objs) + raw[-2:]

    def close(self) -> None:
        self.inner.close()


@SETTINGS
@given(profile=st.sampled_from(PROFILES), step=st.integers(0, 20), pick=st.integers(0, 20),
       value=st.binary(max_size=40))
def test_wrong_value_in_a_well_formed_response_never_crashes(emv_sale, profile, step, pick, value):
    card = load_profile(profile)
    check(emv_sale(profile, card=card, channel=MutatingChannel(card, step, pick, value), host=tolerant_host))
