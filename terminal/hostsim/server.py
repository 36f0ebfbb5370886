"""The simulator's TCP side: frames in, MAC checked, rules applied, frames out. One thread per connection.

A request with a bad MAC is not acted on: the host answers 63 (MACed with its own key, so the terminal can
trust the refusal). A frame that breaks the framing rules drops the connection, as the page says.
"""
from __future__ import annotations

import logging
import socket
import socketserver
import ssl
import threading
import time

from terminal.hostsim.ledger import Ledger
from terminal.hostsim.logic import HostLogic, HostPolicy
from terminal.hostsim.rules import Rule, first_match
from terminal.iso8583 import MacError, MessageError, decode, encode
from terminal.iso8583.dialect import ECHOED, RESPONSE_MTI
from terminal.link.errors import FrameError
from terminal.link.framing import FrameDecoder, frame

log = logging.getLogger("posterm.hostsim")


class _Handler(socketserver.BaseRequestHandler):
    server: "HostServer"

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.server.tls is not None:
            try:  # the handshake runs here, in the connection's thread, not in the accept loop
                sock = self.server.tls.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError) as e:
                log.warning("TLS handshake failed: %s", e)
                return
        decoder = FrameDecoder()
        out = _HeldAnswers(sock) if self.server.out_of_order else sock
        while True:
            if isinstance(out, _HeldAnswers) and out.held and not out.more_within(OUT_OF_ORDER_LINGER_S):
                if not out.flush_reversed():
                    return
            try:
                data = sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            try:
                frames = decoder.feed(data)
            except FrameError as e:
                log.warning("dropping connection: %s", e)
                return
            for raw in frames:
                try:
                    keep = self.server.respond(out, raw)
                except Exception:  # a simulator bug must show, not look like a network fault
                    log.exception("host simulator failed on a request; closing the connection")
                    keep = False
                if not keep:
                    return


OUT_OF_ORDER_LINGER_S = 0.02


class _HeldAnswers:
    """--out-of-order: answers are held while more requests keep coming (within OUT_OF_ORDER_LINGER_S of each
    other), then sent newest first. A terminal with several requests outstanding (a store-and-forward window)
    gets its answers in the reverse order of its requests; one request alone is answered as usual."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.held: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.held.append(data)

    def more_within(self, seconds: float) -> bool:
        import select
        return bool(select.select([self.sock], [], [], seconds)[0])

    def flush_reversed(self) -> bool:
        held, self.held = self.held[::-1], []
        try:
            for data in held:
                self.sock.sendall(data)
        except OSError:
            return False
        return True


class HostServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], mac_key: bytes, ledger: Ledger | None = None,
                 rules: list[Rule] | None = None, policy: HostPolicy | None = None,
                 tls: ssl.SSLContext | None = None, out_of_order: bool = False) -> None:
        super().__init__(address, _Handler)
        self.tls = tls
        self.out_of_order = out_of_order  # answers to pipelined requests newest first (_HeldAnswers)
        self.mac_key = mac_key
        self.ledger = ledger or Ledger()
        self.logic = HostLogic(self.ledger, policy)
        self.rules = rules or []
        self.received: list[bytes] = []   # every well-framed request, in arrival order, for tests
        self.connections = 0              # every connection accepted, for tests ('nothing was even dialled')
        self._rules_lock = threading.Lock()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def verify_request(self, request, client_address) -> bool:
        self.connections += 1
        return True

    def respond(self, sock: socket.socket, raw: bytes) -> bool:
        """Answer one request. False = close the connection."""
        self.received.append(raw)
        try:
            msg = decode(raw, self.mac_key)
        except MacError as e:
            log.warning("request MAC failed: %s", e)
            return self._refuse_bad_mac(sock, raw)
        except MessageError as e:
            log.warning("dropping connection: not our dialect: %s", e)
            return False
        amount = int(str(msg.fields[4])) if 4 in msg.fields else None
        with self._rules_lock:
            rule = first_match(self.rules, msg.mti, amount)
        if rule and rule.drop:
            log.info("%s STAN %s amount %s -> dropped by rule, no answer", msg.mti, msg.fields.get(11, "-"),
                     msg.fields.get(4, "-"))
            return True
        rmti, fields = self.logic.handle(msg, rule.code if rule else None, rule.scripts if rule else ())
        _log_exchange(msg, rmti, fields, _rule_note(rule))
        out = encode(rmti, fields, self.mac_key)
        if rule and rule.bad_mac:
            out = out[:-1] + bytes([out[-1] ^ 0xFF])
        if rule and rule.close:
            return False
        if rule and rule.silent:
            return True
        if rule and rule.delay_s:
            time.sleep(rule.delay_s)
        try:
            sock.sendall(frame(out))
        except OSError:
            return False
        return True

    def _refuse_bad_mac(self, sock: socket.socket, raw: bytes) -> bool:
        try:
            msg = decode(raw, None, verify_mac=False)
        except MessageError:
            return False
        rmti = RESPONSE_MTI.get(msg.mti)
        if rmti is None:
            return False
        fields = {n: msg.fields[n] for n in ECHOED if n in msg.fields}
        fields[39] = "63"
        self.ledger.log(msg.mti, str(msg.fields.get(11, "")), "63", "bad MAC: not acted on")
        try:
            sock.sendall(frame(encode(rmti, fields, self.mac_key)))
        except OSError:
            return False
        return True


def tls_context(cert_file: str, key_file: str, client_ca_file: str | None = None) -> ssl.SSLContext:
    """The host's TLS: TLS 1.2 at least; with `client_ca_file`, a client certificate signed by that CA is
    required (mutual TLS, as acquirers run it)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_file, key_file)
    if client_ca_file:
        ctx.load_verify_locations(cafile=client_ca_file)
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def _masked_pan(msg) -> str:
    pan = msg.fields.get(2)
    if pan is None and 35 in msg.fields:
        pan = str(msg.fields[35]).replace("D", "=").split("=")[0]
    if not pan:
        return "-"
    pan = str(pan)
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:] if len(pan) > 10 else "*" * len(pan)


def _rule_note(rule) -> str:
    if rule is None:
        return ""
    what = [w for w, on in (("silent", rule.silent), ("close", rule.close), ("bad MAC", rule.bad_mac)) if on]
    if rule.delay_s:
        what.append(f"answer delayed {rule.delay_s:g} s")
    if rule.code:
        what.append(f"code {rule.code} by rule")
    if rule.scripts:
        what.append(f"issuer scripts {'+'.join(rule.scripts)}")
    return "rule: " + ", ".join(what) if what else "rule applied"


def _log_exchange(msg, rmti: str, fields: dict, note: str = "") -> None:
    """One line per message: MTI, STAN, amount, response code, masked PAN."""
    log.info("%s STAN %s amount %s -> %s %s PAN %s%s", msg.mti, msg.fields.get(11, "-"), msg.fields.get(4, "-"),
             rmti, fields.get(39, "-"), _masked_pan(msg), f" ({note})" if note else "")


def start(mac_key: bytes, port: int = 0, host: str = "127.0.0.1", **kw) -> tuple[HostServer, threading.Thread]:
    server = HostServer((host, port), mac_key, **kw)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="hostsim",
                              daemon=True)
    thread.start()
    return server, thread
