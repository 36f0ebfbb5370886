"""Framing and the client over real loopback sockets, against small scripted peers."""
from __future__ import annotations

import socket
import threading

import pytest

from terminal.link import ConnectError, FrameDecoder, FrameError, LinkClosed, ResponseTimeout, frame
from terminal.link.client import Endpoint, HostLink

MSG = b"0210" + bytes(8) + b"payload"


def test_decoder_reassembles_byte_by_byte_and_back_to_back():
    d = FrameDecoder()
    wire = frame(MSG) + frame(MSG + b"2")
    got = []
    for i in range(len(wire)):
        got += d.feed(wire[i:i + 1])
    assert got == [MSG, MSG + b"2"] and d.pending == 0


@pytest.mark.parametrize("header, fault", [
    (b"\x10\x01", "frame announces 4097 bytes, larger than 4096"),
    (b"\xff\xff", "frame announces 65535 bytes"),
    (b"\x00\x03", "frame announces 3 bytes, too short for an ISO 8583 message"),
])
def test_decoder_rejects_bad_lengths_before_the_body(header, fault):
    with pytest.raises(FrameError, match=fault):
        FrameDecoder().feed(header)


def test_eof_inside_a_frame_is_a_short_frame():
    d = FrameDecoder()
    d.feed(frame(MSG)[:-3])
    with pytest.raises(FrameError, match="shorter than announced"):
        d.eof()


def test_oversize_message_is_not_framed():
    with pytest.raises(FrameError):
        frame(bytes(4097))


class Peer:
    """A TCP server scripted per connection: for each connection a list of replies, one per request received
    (bytes to send, "close" to read the request and hang up, or "hold" to answer nothing and keep the
    connection); when a list runs out the peer
    closes that connection."""

    def __init__(self, *connections: list):
        self.script = [list(c) for c in connections]
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        for replies in self.script:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            with conn:
                for reply in replies:
                    if not conn.recv(65536):
                        break
                    if reply == "close":
                        break
                    if reply == "hold":
                        conn.recv(65536)  # until the client goes away
                        break
                    conn.sendall(reply)
            self.done.set()

    def link(self, **kw) -> HostLink:
        return HostLink(Endpoint("127.0.0.1", self.port, **kw))

    def close(self):
        self.sock.close()


REQ = b"0200" + bytes(8)


def test_exchange_returns_the_response():
    peer = Peer([frame(MSG)])
    assert peer.link().exchange(REQ, 5) == MSG
    peer.close()


@pytest.mark.parametrize("reply, error, text", [
    (b"\x00\x05garbage-not-iso", FrameError, "too short"),
    (b"\x10\x01" + bytes(100), FrameError, "larger than 4096"),
    (frame(MSG)[:-4], FrameError, "shorter than announced"),
    ("close", LinkClosed, "closed the connection before responding"),
    ("hold", ResponseTimeout, "no response within 0.3 s"),
    (frame(MSG) + frame(MSG), FrameError, "more than one response"),
])
def test_broken_answers_are_protocol_errors(reply, error, text):
    peer = Peer([reply])
    link = peer.link()
    with pytest.raises(error, match=text):
        link.exchange(REQ, 0.3)
    assert link._sock is None  # the connection is dropped, never reused
    peer.close()


def test_connect_refused_is_a_connect_error():
    s = socket.create_server(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(ConnectError, match=f"cannot connect to host 127.0.0.1:{port}"):
        HostLink(Endpoint("127.0.0.1", port, connect_timeout_s=1)).exchange(REQ, 1)


def test_reconnects_when_the_host_closed_an_idle_connection():
    """The host hangs up between requests: the next request goes on a new connection instead of being
    written into the dead one (which would turn an idle close into an unknown outcome and a reversal)."""
    peer = Peer([frame(MSG)], [frame(MSG)])
    link = peer.link()
    assert link.exchange(REQ, 5) == MSG
    assert peer.done.wait(5)  # the peer has closed the first connection
    assert link.exchange(REQ, 5) == MSG
    assert peer.accepted == 2
    peer.close()
