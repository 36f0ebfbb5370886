"""The PC/SC driver through the real pcscd + vpcd (private stack of tests/fixtures/pcscd.py), virtual cards
served over vpcd's TCP protocol: exchanges, transport rules, removal, daemon restarts, missing readers."""
from __future__ import annotations

import threading

import pytest

from drivers import pcsc
from drivers.emulated.testcards import T0_ATR, T1_ATR, TransportTestCard
from drivers.emulated.vpcd_client import CONTACTLESS_ATR
from drivers.errors import CardProtocolError, CardRemovedError, NoCardError, NoDaemonError, NoReaderError

SELECT_PPSE = bytes.fromhex("00A404000E325041592E5359532E444446303100")
FCI = b"\x6F\x0A\x84\x08TESTCARD\x90\x00"
WAIT = 20.0  # generous: a loaded CI machine; a present card connects at once


def hexes(card: TransportTestCard) -> list[str]:
    return [c.hex().upper() for c in card.commands]


def test_pcscd_lists_both_vpcd_readers(pcsc_stack):
    assert pcsc.list_readers() == ["Virtual PCD 00 00", "Virtual PCD 00 01"]
    assert [(s.name, s.card_present, s.atr) for s in pcsc.reader_statuses()] == [
        ("Virtual PCD 00 00", False, None),
        ("Virtual PCD 00 01", False, None),
    ]


def test_t0_card_gets_get_response_through_pcscd(pcsc_stack):
    card = TransportTestCard("T=0")
    pcsc_stack.serve(card)
    with pcsc.wait_for_card(pcsc_stack.reader(0), WAIT) as channel:
        assert channel.atr == T0_ATR
        assert channel.protocol == "T=0"
        card.commands.clear()
        assert channel.transmit(SELECT_PPSE) == FCI
    assert hexes(card) == [SELECT_PPSE.hex().upper(), "00C000000C"]


def test_t1_card_is_connected_in_t1_and_answers_directly(pcsc_stack):
    card = TransportTestCard("T=1")
    pcsc_stack.serve(card)
    with pcsc.wait_for_card(pcsc_stack.reader(0), WAIT) as channel:
        assert channel.atr == T1_ATR
        assert (channel.protocol, channel.transport_protocol) == ("T=1", "T=1")
        card.commands.clear()
        assert channel.transmit(bytes.fromhex("801E00000301020300")) == b"\x03\x02\x01\x90\x00"
    assert hexes(card) == ["801E00000301020300"]


def test_61xx_chain_of_600_bytes_arrives_whole(pcsc_stack):
    card = TransportTestCard("T=0", chain_length=600)
    pcsc_stack.serve(card)
    with pcsc.wait_for_card(None, WAIT) as channel:
        card.commands.clear()
        assert channel.transmit(bytes.fromhex("8012000000")) == bytes(i & 0xFF for i in range(600)) + b"\x90\x00"
    assert hexes(card) == ["8012000000", "00C0000000", "00C0000000", "00C0000058"]


def test_6cxx_makes_the_driver_resend_with_the_right_le(pcsc_stack):
    card = TransportTestCard("T=0")
    pcsc_stack.serve(card)
    with pcsc.wait_for_card(None, WAIT) as channel:
        card.commands.clear()
        assert channel.transmit(bytes.fromhex("8014000000")) == b"FIXED-LE\x90\x00"
        # and the raw exchange shows what pyscard alone would have returned
        assert channel.transmit_raw(bytes.fromhex("8014000000")) == b"\x6C\x08"
    assert hexes(card) == ["8014000000", "8014000008", "8014000000"]


def test_contactless_interface_shows_the_pcsc_contactless_atr(pcsc_stack):
    card = TransportTestCard("T=1")
    server = pcsc_stack.serve(card, contactless=True)
    with pcsc.wait_for_card(None, WAIT) as channel:
        assert channel.atr == CONTACTLESS_ATR
        assert channel.protocol == "contactless"
        assert channel.transmit(SELECT_PPSE) == FCI
    pcsc_stack.reinsert(server, contactless=False)
    with pcsc.wait_for_card(None, WAIT) as channel:
        assert (channel.atr, channel.protocol) == (T1_ATR, "T=1")


def test_card_removed_mid_apdu_raises_card_removed_naming_the_reader(pcsc_stack):
    card = TransportTestCard("T=0")
    server = pcsc_stack.serve(card)
    outcome: list[BaseException] = []
    with pcsc.wait_for_card(None, WAIT) as channel:

        def slow_exchange() -> None:
            try:
                channel.transmit(bytes.fromhex("8016000000"))
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                outcome.append(exc)

        worker = threading.Thread(target=slow_exchange)
        worker.start()
        assert card.slow_started.wait(WAIT), "the slow command never reached the card"
        server.remove()  # the card leaves while it is still working on the command
        card.slow_release.set()
        worker.join(WAIT)
        assert len(outcome) == 1 and isinstance(outcome[0], CardRemovedError), outcome
        assert "Virtual PCD 00 00" in str(outcome[0])
        with pytest.raises(CardRemovedError, match="Virtual PCD 00 00"):
            channel.transmit(SELECT_PPSE)
    pcsc_stack.wait_card_absent(0)
    with pytest.raises(NoCardError, match="no card inserted in reader 'Virtual PCD 00 00'"):
        pcsc.wait_for_card(pcsc_stack.reader(0), timeout=0.3)


def test_reinserted_card_is_reset_and_answers_again(pcsc_stack):
    card = TransportTestCard("T=0")
    server = pcsc_stack.serve(card)
    with pcsc.wait_for_card(None, WAIT) as channel:
        assert channel.transmit(SELECT_PPSE) == FCI
    connections, resets = server.connections, card.resets
    pcsc_stack.reinsert(server)
    assert server.connections == connections + 1
    with pcsc.wait_for_card(None, WAIT) as channel:
        assert channel.transmit(SELECT_PPSE) == FCI
    assert card.resets > resets  # pcscd powered the new insertion up


def test_wait_for_card_returns_when_a_card_arrives_later(pcsc_stack):
    card = TransportTestCard("T=1")
    result: list = []
    waiter = threading.Thread(target=lambda: result.append(pcsc.wait_for_card(pcsc_stack.reader(1), WAIT)))
    waiter.start()
    pcsc_stack.serve(card, reader=1, wait=False)
    waiter.join(WAIT + 5)
    with result[0] as channel:
        assert channel.reader == "Virtual PCD 00 01"
        assert channel.transmit(SELECT_PPSE) == FCI


def test_two_readers_serve_two_cards_at_once(pcsc_stack):
    first, second = TransportTestCard("T=0"), TransportTestCard("T=1", select_response=b"\x6F\x03\x84\x01\x02")
    pcsc_stack.serve(first, reader=0)
    pcsc_stack.serve(second, reader=1)
    with pcsc.wait_for_card("Virtual PCD 00 00", WAIT) as one, pcsc.wait_for_card("PCD 00 01", WAIT) as two:
        assert (one.protocol, two.protocol) == ("T=0", "T=1")
        for _ in range(3):
            assert one.transmit(SELECT_PPSE) == FCI
            assert two.transmit(SELECT_PPSE) == b"\x6F\x03\x84\x01\x02\x90\x00"
    assert len(first.commands) == 6 and len(second.commands) == 3  # T=0 needed a GET RESPONSE each time


def test_pcscd_killed_mid_session_then_restarted(pcsc_stack):
    card = TransportTestCard("T=0")
    pcsc_stack.serve(card)
    channel = pcsc.wait_for_card(None, WAIT)
    assert channel.transmit(SELECT_PPSE) == FCI
    pcsc_stack.kill_pcscd()  # SIGKILL, as a crash
    with pytest.raises(NoDaemonError, match="^reader 'Virtual PCD 00 00': .*pcscd.* during transmit 00A40400"):
        channel.transmit(SELECT_PPSE)
    channel.close()
    with pytest.raises(NoDaemonError, match="not running"):
        pcsc.wait_for_card(None, timeout=0.3)
    pcsc_stack.start_pcscd()
    pcsc_stack.wait_card_present(0)  # the card server reconnected to the new vpcd by itself
    with pcsc.wait_for_card(None, WAIT) as channel:  # a new context: recovery needs nothing else
        assert channel.transmit(SELECT_PPSE) == FCI


def test_no_card_in_the_reader_times_out_naming_the_reader(pcsc_stack):
    with pytest.raises(NoCardError, match="no card inserted in reader 'Virtual PCD 00 01' within 0.3 s"):
        pcsc.wait_for_card("Virtual PCD 00 01", timeout=0.3)
    with pytest.raises(NoCardError, match="any PC/SC reader"):
        pcsc.wait_for_card(None, timeout=0.3)


def test_card_held_by_another_application_is_reported_as_in_use(pcsc_stack):
    pcsc_stack.serve(TransportTestCard("T=1"))
    with pcsc.wait_for_card(None, WAIT):  # exclusive by default
        with pytest.raises(NoCardError, match="reader 'Virtual PCD 00 00': the card is in use by another application"):
            pcsc.wait_for_card(None, timeout=0.3)


def test_unknown_reader_name_lists_the_readers_present(pcsc_stack):
    with pytest.raises(NoReaderError, match="reader 'ACR122' not found; readers present: 'Virtual PCD 00 00', 'Virtual PCD 00 01'"):
        pcsc.wait_for_card("ACR122", timeout=0.3)
    with pytest.raises(NoReaderError, match="ambiguous"):
        pcsc.wait_for_card("virtual pcd", timeout=0.3)


def test_daemon_up_without_any_reader(pcsc_stack):
    pcsc_stack.restart_pcscd(with_readers=False)
    assert pcsc.list_readers() == []
    assert pcsc.reader_statuses() == []
    with pytest.raises(NoReaderError, match="no PC/SC reader is connected"):
        pcsc.wait_for_card(None, timeout=0.3)


def test_no_daemon_at_all(pcsc_stack):
    pcsc_stack.kill_pcscd()
    with pytest.raises(NoDaemonError, match=r"^PC/SC: pcscd \(the PC/SC daemon\) is not running \(0x8010001D\); socket .*pcscd.comm$"):
        pcsc.list_readers()
    with pytest.raises(NoDaemonError):
        pcsc.reader_statuses()
    with pytest.raises(NoDaemonError):
        pcsc.open_spec("pcsc", timeout=5)


def test_card_answering_without_status_word_is_a_protocol_error(pcsc_stack):
    card = TransportTestCard("T=0")
    pcsc_stack.serve(card)
    with pcsc.wait_for_card(None, WAIT) as channel:
        with pytest.raises(CardProtocolError, match="'Virtual PCD 00 00': card answered 1 byte\\(s\\) to 801A0000"):
            channel.transmit(bytes.fromhex("801A0000"))
        assert channel.transmit(SELECT_PPSE) == FCI  # the card is still there and still usable


@pytest.mark.parametrize("spec", ["pcsc:", "serial:/dev/ttyS0"])
def test_open_spec_refuses_what_is_not_a_pcsc_spec(spec):
    with pytest.raises(ValueError, match="reader spec"):
        pcsc.open_spec(spec, timeout=0.1)
