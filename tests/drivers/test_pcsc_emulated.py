"""The emulated side on its own: vpcd's wire protocol against a real TCP listener standing in for vpcd, and
the in-process channel (same transport rules, removal)."""
from __future__ import annotations

import socket
import struct

import pytest

from drivers.emulated.inprocess import InProcessChannel
from drivers.emulated.testcards import T0_ATR, T1_ATR, TransportTestCard
from drivers.emulated.vpcd_client import CONTACTLESS_ATR, VpcdCardServer
from drivers.errors import CardRemovedError

WAIT = 20.0


class FakeVpcd:
    """The vpcd end of the protocol on a real loopback socket (pcscd is not needed to check the framing)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(WAIT)
        self.port = self.listener.getsockname()[1]
        self.conn: socket.socket | None = None

    def accept(self) -> None:
        self.conn, _ = self.listener.accept()
        self.conn.settimeout(WAIT)

    def send(self, payload: bytes) -> None:
        self.conn.sendall(struct.pack(">H", len(payload)) + payload)

    def receive(self) -> bytes:
        header = self._exact(2)
        return self._exact(struct.unpack(">H", header)[0])

    def _exact(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.conn.recv(size - len(data))
            if not chunk:
                raise EOFError("card closed the connection")
            data += chunk
        return data

    def close(self) -> None:
        if self.conn:
            self.conn.close()
        self.listener.close()


@pytest.fixture
def vpcd():
    fake = FakeVpcd()
    yield fake
    fake.close()


def test_card_server_speaks_vpcd_framing(vpcd):
    card = TransportTestCard("T=0")
    with VpcdCardServer(card, vpcd.port):
        vpcd.accept()
        vpcd.send(b"\x04")
        assert vpcd.receive() == T0_ATR
        vpcd.send(b"\x01")  # power on: no answer, the card is reset
        vpcd.send(bytes.fromhex("00A4040000"))
        assert vpcd.receive() == b"\x61\x0C"  # raw, as the card puts it on the wire
        vpcd.send(bytes.fromhex("00C000000C"))
        assert vpcd.receive() == b"\x6F\x0A\x84\x08TESTCARD\x90\x00"
        vpcd.send(b"\x00")  # power off: no answer either
        vpcd.send(b"\x04")
        assert vpcd.receive() == T0_ATR
    assert card.resets == 1


def test_removal_closes_the_connection_and_insert_reconnects(vpcd):
    card = TransportTestCard("T=1")
    server = VpcdCardServer(card, vpcd.port, reinsert_gap=0).start()
    try:
        vpcd.accept()
        assert server.wait_connected(WAIT)
        server.remove()
        with pytest.raises(EOFError):
            vpcd.receive()
        server.insert(contactless=True)
        vpcd.accept()
        vpcd.send(b"\x04")
        assert vpcd.receive() == CONTACTLESS_ATR
        assert server.connections == 2
    finally:
        server.stop()


def test_card_keeps_trying_until_vpcd_listens():
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens on `port` now, as when pcscd is not started yet
    server = VpcdCardServer(TransportTestCard("T=1"), port).start()
    try:
        listener = socket.create_server(("127.0.0.1", port))
        listener.settimeout(WAIT)
        conn, _ = listener.accept()
        conn.sendall(b"\x00\x01\x04")
        assert conn.recv(64)[2:] == T1_ATR
        conn.close()
        listener.close()
    finally:
        server.stop()


def test_in_process_channel_applies_the_transport_rules():
    card = TransportTestCard("T=0", chain_length=300)
    channel = InProcessChannel(card)
    assert (channel.atr, channel.protocol) == (T0_ATR, "T=0")
    assert channel.transmit(bytes.fromhex("8012000000")) == bytes(i & 0xFF for i in range(300)) + b"\x90\x00"
    assert channel.exchanges == 3


def test_in_process_channel_protocol_follows_the_atr_or_the_caller():
    assert InProcessChannel(TransportTestCard("T=1")).protocol == "T=1"
    contactless = InProcessChannel(TransportTestCard("T=1"), protocol="contactless")
    assert (contactless.protocol, contactless.atr) == ("contactless", CONTACTLESS_ATR)
    with pytest.raises(ValueError, match="protocol 'T=2'"):
        InProcessChannel(TransportTestCard("T=1"), protocol="T=2")


def test_in_process_removal_raises_card_removed():
    channel = InProcessChannel(TransportTestCard("T=1"), reader="emulated:test")
    assert channel.transmit(bytes.fromhex("00A4040000")) == b"\x6F\x0A\x84\x08TESTCARD\x90\x00"
    channel.remove()
    with pytest.raises(CardRemovedError, match="reader 'emulated:test': the card was removed before 00A40400"):
        channel.transmit(bytes.fromhex("00A4040000"))
