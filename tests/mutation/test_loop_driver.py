"""The driver loop's own I/O around a sale (terminal/txn/loop.py): what the display is told while it waits for the
card and the host, which address carried each request (journaled), every APDU to the tracer, the caller told
once the request left, and a reader that fails mid-card named in the result."""
from __future__ import annotations

from drivers.emulated.inprocess import InProcessChannel
from drivers.emulated.vcard import load_profile
from drivers.errors import ReaderError
from terminal.store.carriers import Carried
from terminal.txn.cards import ChipReader
from terminal.txn.loop import Driver
from tests.mutation.test_loop_link_watch import Acquirer
from tests.mutation.test_sale_records import swipe


def test_the_display_hears_the_card_wait_then_each_tick_of_the_host_wait_then_the_end(terminal):
    shown: list[tuple] = []
    terminal.driver.progress = lambda *a: shown.append(a)
    terminal.driver.sale("purchase", 1234, swipe())
    assert shown[:2] == [("card", 0.0, 0.0), (None, 0.0, 0.0)]
    host = [s for s in shown if s[0] == "host"]
    assert [t for _, t, _ in host[:6]] == [0.25, 0.5, 0.75, 1.0, 1.25, 1.5]   # the network's quarter-second ticks
    assert all(timeout == 30.0 for _, _, timeout in host)
    assert [t for _, t, _ in host] == sorted(set(t for _, t, _ in host))
    assert shown[-1] == (None, 0.0, 0.0) and shown.index(host[0]) < len(shown) - 1


def test_the_caller_hears_once_that_the_request_left(terminal):
    sent: list[int] = []
    terminal.driver.sale("purchase", 1234, swipe(), on_request_sent=lambda: sent.append(len(terminal.host.received)))
    assert sent == [0]                          # told as it leaves, before the host has it


def test_the_address_that_carried_the_request_is_journaled_with_the_outcome(terminal):
    acquirer = Acquirer(terminal)
    terminal.driver.link = acquirer.link
    first = terminal.driver.sale("purchase", 1234, swipe())
    acquirer.down(primary=True, backup=False)
    acquirer.link.close()
    second = terminal.driver.sale("purchase", 1235, swipe())
    carried = {r.id: [(c.mti, c.stan, c.address) for c in terminal.journal.carried(r.id)] for r in (first, second)}
    assert carried == {first.id: [("0200", first.stan, "10.0.0.1:5000")],
                       second.id: [("0200", second.stan, "10.0.0.2:5000")]}
    assert all(isinstance(c, Carried) for c in terminal.journal.carried(first.id))


def test_a_link_with_no_address_journals_no_carrier(terminal):
    result = terminal.driver.sale("purchase", 1234, swipe())
    assert terminal.journal.carried(result.id) == []


def tap_with(channel_class):
    virtual = load_profile("contactless")
    return ChipReader(lambda: channel_class(virtual, protocol="contactless"))


def test_every_apdu_goes_to_the_tracer_with_its_answer(terminal):
    trace: list[tuple[str, bytes, bytes]] = []
    terminal.driver = Driver(terminal.driver.cfg, terminal.journal, terminal.net, clock=terminal.clock,
                             tracer=lambda name, command, response: trace.append((name, command, response)))
    assert terminal.driver.last_core is None      # no sale yet (sale_session reads the outcome only when there is one)
    result = terminal.driver.sale("purchase", 1236, tap_with(InProcessChannel))
    assert result.outcome == "approved"
    assert [n for n, _, _ in trace] == ["SELECT", "SELECT", "GET PROCESSING OPTIONS", "READ RECORD 1.1",
                                        "READ RECORD 2.1"]
    assert trace[0][1][:2] == bytes.fromhex("00a4") and all(r[-2:] == b"\x90\x00" for _, _, r in trace)


class PulledAtThird(InProcessChannel):
    """The card leaves the field at its third APDU; the reader says so, or says nothing."""
    said = "card removed"

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.n = 0

    def transmit(self, apdu: bytes) -> bytes:
        self.n += 1
        if self.n == 3:
            raise ReaderError(self.said)
        return super().transmit(apdu)


class PulledSilently(PulledAtThird):
    said = ""


def test_a_reader_that_fails_mid_card_is_named_in_the_result_and_nothing_is_sent(terminal):
    result = terminal.driver.sale("purchase", 1237, tap_with(PulledAtThird))
    assert (result.outcome, result.device_error, result.exit_code) == ("not_sent", True, 4)
    assert (result.message, result.reason) == ("CARD ERROR: card error: card removed", "card error: card removed")
    silent = terminal.driver.sale("purchase", 1237, tap_with(PulledSilently))
    assert silent.reason == "card error: ReaderError"          # no words from the reader: its error's name
    assert terminal.host.received == []
