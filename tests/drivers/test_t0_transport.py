"""The T=0 status-word rules, driven by the transport test card (no reader needed: the rules are sans-I/O)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers import t0_transport
from drivers.emulated.testcards import TransportTestCard
from drivers.errors import CardProtocolError


def exchange_with(card: TransportTestCard, apdu_hex: str) -> bytes:
    return t0_transport.exchange(bytes.fromhex(apdu_hex), card.process)


def sent(card: TransportTestCard) -> list[str]:
    return [c.hex().upper() for c in card.commands]


def test_61xx_is_followed_by_get_response_with_that_length():
    card = TransportTestCard("T=0")
    assert exchange_with(card, "00A404000E315041592E5359532E4444463031") == b"\x6F\x0A\x84\x08TESTCARD\x90\x00"
    assert sent(card) == ["00A404000E315041592E5359532E4444463031", "00C000000C"]


def test_61xx_chain_is_concatenated_until_9000():
    card = TransportTestCard("T=0", chain_length=600)
    response = exchange_with(card, "8012000000")
    assert response == bytes(i & 0xFF for i in range(600)) + b"\x90\x00"
    assert sent(card) == ["8012000000", "00C0000000", "00C0000000", "00C0000058"]


def test_6cxx_resends_the_same_command_with_the_le_asked_for():
    card = TransportTestCard("T=0")
    assert exchange_with(card, "8014000000") == b"FIXED-LE\x90\x00"
    assert sent(card) == ["8014000000", "8014000008"]


def test_6cxx_on_a_command_without_le_appends_le():
    card = TransportTestCard("T=0")
    assert exchange_with(card, "80140000") == b"FIXED-LE\x90\x00"
    assert sent(card) == ["80140000", "8014000008"]


def test_case_4_command_in_t0_gets_its_data_by_get_response():
    card = TransportTestCard("T=0")
    assert exchange_with(card, "801E000003010203") == b"\x03\x02\x01\x90\x00"
    assert sent(card) == ["801E000003010203", "00C0000003"]


def test_t1_card_answers_at_once():
    card = TransportTestCard("T=1")
    assert exchange_with(card, "801E00000301020300") == b"\x03\x02\x01\x90\x00"
    assert sent(card) == ["801E00000301020300"]


def test_get_response_keeps_the_logical_channel_of_the_command():
    assert t0_transport.get_response_command(0x03, 0x10) == bytes.fromhex("03C0000010")
    assert t0_transport.get_response_command(0x80, 0x10) == bytes.fromhex("00C0000010")


def test_error_status_passes_through_untouched():
    card = TransportTestCard("T=0")
    assert exchange_with(card, "80FF0000") == b"\x6D\x00"


def test_second_6cxx_is_a_protocol_error_naming_the_command():
    card = TransportTestCard("T=0")
    with pytest.raises(CardProtocolError, match="6C04 twice to 801C0000"):
        exchange_with(card, "801C000000")


def test_endless_61xx_chain_is_cut_off():
    card = TransportTestCard("T=0")
    with pytest.raises(CardProtocolError, match="kept answering 61xx to 80180000"):
        exchange_with(card, "8018000000")
    assert len(card.commands) == 1 + t0_transport.MAX_GET_RESPONSES


def test_response_without_status_word_is_a_protocol_error():
    card = TransportTestCard("T=0")
    with pytest.raises(CardProtocolError, match="1 byte\\(s\\) to 801A0000"):
        exchange_with(card, "801A0000")


@pytest.mark.parametrize("apdu", [b"", b"\x00\xA4\x04"])
def test_command_shorter_than_a_header_is_refused_before_sending(apdu):
    card = TransportTestCard("T=0")
    with pytest.raises(CardProtocolError, match="CLA INS P1 P2 expected"):
        t0_transport.exchange(apdu, card.process)
    assert card.commands == []


def test_with_le_refuses_a_body_that_is_not_a_short_apdu():
    with pytest.raises(CardProtocolError, match="not a short APDU"):
        t0_transport.with_le(bytes.fromhex("80140000050102"), 8)


@settings(max_examples=60, deadline=None)
@given(length=st.integers(min_value=1, max_value=1200))
def test_any_chain_length_arrives_whole(length):
    card = TransportTestCard("T=0", chain_length=length)
    assert exchange_with(card, "8012000000") == bytes(i & 0xFF for i in range(length)) + b"\x90\x00"


@settings(max_examples=60, deadline=None)
@given(size=st.integers(min_value=1, max_value=255), asked=st.integers(min_value=0, max_value=255))
def test_echo_of_any_size_with_any_le_gives_exactly_the_data(size, asked):
    card = TransportTestCard("T=0")
    apdu = bytes((0x80, 0x10, size, 0x00, asked))
    assert t0_transport.exchange(apdu, card.process) == bytes(range(size)) + b"\x90\x00"
