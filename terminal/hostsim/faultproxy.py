"""A fault-injecting TCP proxy for tests: the terminal talks to it, it talks to the host simulator, and in
between it delays, drops, resets, cuts, answers late, garbles, blackholes or refuses, on command.

Frame-aware, because the faults that matter to the transaction engine are about messages ("the host
processed the 0200 and the terminal never heard back"), not byte offsets: the proxy parses the 2-byte length
framing of host-interface.md in both directions and applies each fault to one whole frame.

One thread, one event loop (selectors plus a timer heap) owns every socket. So a reset closes a socket no
other thread is blocked on, a held frame needs no sleeping thread, and shutdown is one join. Test code controls
the proxy through methods that run their work on the loop and wait for it to be done: when `refuse()`
returns, connects are refused.

Loopback only: it listens on 127.0.0.1 and connects to a loopback upstream. It is a test tool, never a service.
"""
from __future__ import annotations

import heapq
import ipaddress
import itertools
import logging
import random
import selectors
import socket
import struct
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Callable, Literal

from terminal.iso8583 import MessageError, decode
from terminal.link.errors import FrameError
from terminal.link.framing import FrameDecoder, frame

log = logging.getLogger("posterm.faultproxy")

Action = Literal["delay", "drop", "reset", "cut", "late", "garbage"]
Direction = Literal["request", "response"]
ACTIONS: tuple[str, ...] = ("delay", "drop", "reset", "cut", "late", "garbage")
DIRECTIONS: tuple[str, ...] = ("request", "response")
LOOPBACK = "127.0.0.1"
SEND_TIMEOUT_S = 2.0      # a frame is at most 4098 bytes: a loopback peer that cannot take it is gone
CONTROL_TIMEOUT_S = 10.0  # how long a control method waits for the loop


class ProxyError(Exception):
    """The proxy could not do what it was asked: bind, reopen, or any call after close()."""


class FaultSpecError(ProxyError, ValueError):
    """A Fault that makes no sense; the message names the field."""


@dataclass(frozen=True)
class Fault:
    """One per-message fault. Which message: those of `direction` whose MTI starts with `mti` (all when None);
    of those, only the `nth` after installation (1-based; every one when None), each chosen with chance
    `probability` drawn from the proxy's seeded Random. It fires at most `times` times (None: no limit).

    action     direction  effect
    delay      both       hold the frame `seconds`, then forward it (later frames queue behind it)
    drop       both       swallow it: request = the host never sees it; response = processed, never heard
    reset      request    RST to the client (SO_LINGER 0) before forwarding: the host never sees it
    reset      response   RST to the client instead of the response: the host has processed the request
    cut        both       send the first `nbytes` of the framed message (header included), then close both
    late       response   hold it `seconds`, then send it even if the client has gone; the log says
                          'late_delivered' or 'late_lost'
    garbage    both       send `nbytes` random bytes instead of the frame; the connection stays open
    """
    action: Action
    direction: Direction = "request"
    nth: int | None = None
    mti: str | None = None
    probability: float = 1.0
    times: int | None = 1
    seconds: float = 0.0
    nbytes: int = 0

    def __post_init__(self) -> None:
        def bad(what: str) -> FaultSpecError:
            return FaultSpecError(f"Fault({self.action!r}): {what}")
        if self.action not in ACTIONS:
            raise bad(f"action must be one of {', '.join(ACTIONS)}")
        if self.direction not in DIRECTIONS:
            raise bad("direction must be 'request' or 'response'")
        if self.action == "late" and self.direction != "response":
            raise bad("late applies to responses (a late request is a delay)")
        if self.action in ("delay", "late") and not self.seconds > 0:
            raise bad(f"seconds must be > 0, got {self.seconds!r}")
        if self.action == "cut" and self.nbytes < 0:
            raise bad(f"nbytes must be >= 0, got {self.nbytes}")
        if self.action == "garbage" and self.nbytes < 1:
            raise bad(f"nbytes must be >= 1, got {self.nbytes}")
        if self.nth is not None and self.nth < 1:
            raise bad(f"nth counts from 1, got {self.nth}")
        if self.mti is not None and not (1 <= len(self.mti) <= 4 and self.mti.isascii() and self.mti.isdigit()):
            raise bad(f"mti must be 1 to 4 digits (a prefix of the MTI), got {self.mti!r}")
        if not 0.0 <= self.probability <= 1.0:
            raise bad(f"probability must be within 0..1, got {self.probability!r}")
        if self.times is not None and self.times < 1:
            raise bad(f"times must be >= 1 or None, got {self.times}")


def random_faults(rng: random.Random, count: int, *, max_seconds: float = 1.0, max_nth: int = 5) -> list[Fault]:
    """`count` faults, each firing once on a random nth message: a soak schedule reproducible from the seed."""
    out = []
    for _ in range(count):
        action = rng.choice(ACTIONS)
        direction = "response" if action == "late" else rng.choice(DIRECTIONS)
        out.append(Fault(action, direction, nth=rng.randint(1, max_nth),
                         seconds=round(rng.uniform(0.05, max_seconds), 3) if action in ("delay", "late") else 0.0,
                         nbytes={"cut": rng.randint(0, 40), "garbage": rng.randint(1, 64)}.get(action, 0)))
    return out


@dataclass(frozen=True)
class ProxyEvent:
    """One line of what the proxy did. conn 0 is the proxy itself. Holds MTI and STAN only, never card data.
    An event is logged before a peer can see its effect (late_delivered and late_lost, which record an outcome,
    after), so a test that has received a response finds its 'forward' already in the log."""
    at_s: float
    conn: int
    direction: str
    mti: str
    stan: str
    action: str
    detail: str = ""

    def __str__(self) -> str:
        return (f"{self.at_s:8.3f}s #{self.conn:<3} {self.direction or '-':8} {self.mti or '-':4} "
                f"stan={self.stan or '-':6} {self.action}{' ' + self.detail if self.detail else ''}")


def identify(raw: bytes) -> tuple[str, str]:
    """MTI and STAN of a frame, for the log ('?' and '' when it is not our dialect)."""
    try:
        msg = decode(raw, None, verify_mac=False)
        return msg.mti, str(msg.fields.get(11, ""))
    except (MessageError, ValueError):
        head = raw[:4]
        return (head.decode() if len(head) == 4 and head.isdigit() else "?"), ""


class _Armed:
    def __init__(self, fault: Fault) -> None:
        self.fault, self.seen, self.fired = fault, 0, 0


class _Conn:
    """A client connection and its upstream, seen as two directions: 'request' reads the client and writes
    upstream, 'response' the other way. A silent connection (made during a blackhole) has no upstream."""

    def __init__(self, n: int, client: socket.socket, upstream: socket.socket | None) -> None:
        self.n, self.client, self.upstream = n, client, upstream
        self.decoder = {d: FrameDecoder() for d in DIRECTIONS}
        self.eof = {d: False for d in DIRECTIONS}          # the source of that direction has closed
        self.free_at = {d: 0.0 for d in DIRECTIONS}        # a held frame keeps later ones behind it
        self.passed_on = set()                             # directions whose half-close went through
        self.closed = False

    def src(self, d: str) -> socket.socket | None:
        return self.client if d == "request" else self.upstream

    def dst(self, d: str) -> socket.socket | None:
        return self.upstream if d == "request" else self.client


def _other(d: str) -> str:
    return "response" if d == "request" else "request"


class FaultProxy:
    """Starts listening and serving in its constructor; close() (or a with block) stops it."""

    def __init__(self, upstream_port: int, *, upstream_host: str = LOOPBACK, listen_host: str = LOOPBACK,
                 port: int = 0, seed: int = 0) -> None:
        if listen_host != LOOPBACK:
            raise ProxyError(f"the fault proxy listens on {LOOPBACK} only, not {listen_host!r}")
        try:
            loopback = ipaddress.ip_address(upstream_host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ProxyError(f"the fault proxy forwards to a loopback address only, not {upstream_host!r}")
        self.upstream = (upstream_host, upstream_port)
        self._rng = random.Random(seed)
        self._sel = selectors.DefaultSelector()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._conn_ids = itertools.count(1)
        self._conns: set[_Conn] = set()
        self._faults: list[_Armed] = []
        self._blackhole_until = 0.0
        self._events: list[ProxyEvent] = []
        self._events_changed = threading.Condition()
        self._commands: list[tuple[Callable[[], object], Future]] = []
        self._commands_lock = threading.Lock()
        self._stopping = False
        self._closed = False
        self._t0 = time.monotonic()
        self._listener: socket.socket | None = None
        try:
            self._listen(port)
        except ProxyError:
            self._sel.close()
            raise
        self.port: int = self._listener.getsockname()[1]  # type: ignore[union-attr]
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, self._run_commands)
        self._thread = threading.Thread(target=self._loop, name=f"faultproxy:{self.port}", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    # -- control, from any thread ----------------------------------------------------------------------------
    def add(self, fault: Fault) -> None:
        """Arm a fault; its nth counts messages from now. Faults are tried in the order they were added."""
        self._call(lambda: self._faults.append(_Armed(fault)))

    def clear_faults(self) -> None:
        self._call(self._faults.clear)

    def armed(self) -> list[Fault]:
        """The faults that may still fire."""
        return self._call(lambda: [a.fault for a in self._faults])

    def blackhole(self, seconds: float) -> None:
        """For `seconds`, forward nothing either way and answer nothing; connections made meanwhile stay
        silent for good (they never get an upstream). Then heal by itself."""
        def start() -> None:
            self._blackhole_until = time.monotonic() + seconds
            self._log(0, "", "", "", "blackhole", f"{seconds:g} s")
            self._at(self._blackhole_until, lambda: self._log(0, "", "", "", "heal"))
        self._call(start)

    def refuse(self, seconds: float | None = None) -> None:
        """Close the listening socket, so connects are refused; reopen after `seconds` (None: on reopen()).
        Connections already made carry on."""
        def close_listener() -> None:
            if self._listener is not None:
                self._sel.unregister(self._listener)
                self._listener.close()
                self._listener = None
                self._log(0, "", "", "", "refuse")
            if seconds is not None:
                self._at(time.monotonic() + seconds, self._reopen_logged)
        self._call(close_listener)

    def reopen(self) -> None:
        """Listen again on the same port (ProxyError if something else took it)."""
        self._call(self._reopen)

    def open_connections(self) -> int:
        return self._call(lambda: len(self._conns))

    def events(self) -> list[ProxyEvent]:
        with self._events_changed:
            return list(self._events)

    def wait_for(self, action: str, count: int = 1, timeout_s: float = 5.0) -> list[ProxyEvent]:
        """Block until the log holds `count` events of `action`; return them. ProxyError on timeout."""
        def found() -> list[ProxyEvent]:
            return [e for e in self._events if e.action == action]
        with self._events_changed:
            if not self._events_changed.wait_for(lambda: len(found()) >= count, timeout_s):
                raise ProxyError(f"{count} x {action!r} not logged within {timeout_s:g} s; log:\n"
                                 + "\n".join(map(str, self._events)))
            return found()

    def format_log(self) -> str:
        return "\n".join(str(e) for e in self.events())

    def close(self) -> None:
        """Close every socket and join the loop thread. Held frames are discarded. Idempotent."""
        if self._closed and not self._thread.is_alive():
            return
        try:
            self._call(lambda: setattr(self, "_stopping", True))
        except ProxyError:
            pass  # the loop already stopped (it failed): it has closed everything on its way out
        self._thread.join(CONTROL_TIMEOUT_S)
        if self._thread.is_alive():
            raise ProxyError("the fault proxy's loop did not stop")

    def __enter__(self) -> "FaultProxy":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, fn: Callable[[], object]):
        """Run fn on the loop thread and return its result (or raise its exception) here."""
        done: Future = Future()
        with self._commands_lock:
            if self._closed:
                raise ProxyError("the fault proxy is closed")
            self._commands.append((fn, done))
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass  # the loop closed meanwhile: it failed our command on its way out
        return done.result(CONTROL_TIMEOUT_S)

    # -- the loop ---------------------------------------------------------------------------------------------
    def _loop(self) -> None:
        try:
            while not self._stopping:
                timeout = max(0.0, self._timers[0][0] - time.monotonic()) if self._timers else None
                for key, _ in self._sel.select(timeout):
                    key.data()
                now = time.monotonic()
                while self._timers and self._timers[0][0] <= now and not self._stopping:
                    heapq.heappop(self._timers)[2]()
        except Exception:  # a proxy bug must show, not look like a network fault
            log.exception("fault proxy loop failed")
            self._log(0, "", "", "", "proxy_failed", "see the posterm.faultproxy log")
        finally:
            self._teardown()

    def _teardown(self) -> None:
        for conn in list(self._conns):
            self._close_conn(conn, "proxy closing")
        if self._listener is not None:
            self._listener.close()
        self._timers.clear()
        with self._commands_lock:
            left, self._commands = self._commands, []
            self._closed = True
        for _, done in left:
            done.set_exception(ProxyError("the fault proxy is closed"))
        self._sel.close()
        self._wake_r.close()
        self._wake_w.close()

    def _run_commands(self) -> None:
        try:
            self._wake_r.recv(4096)
        except BlockingIOError:
            pass
        with self._commands_lock:
            todo, self._commands = self._commands, []
        for fn, done in todo:
            try:
                done.set_result(fn())
            except Exception as e:
                done.set_exception(e)

    def _at(self, when: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._timers, (when, next(self._seq), fn))

    def _log(self, conn: int, direction: str, mti: str, stan: str, action: str, detail: str = "") -> None:
        event = ProxyEvent(round(time.monotonic() - self._t0, 3), conn, direction, mti, stan, action, detail)
        log.debug("%s", event)
        with self._events_changed:
            self._events.append(event)
            self._events_changed.notify_all()

    def _blackholed(self) -> bool:
        return time.monotonic() < self._blackhole_until

    # -- listening --------------------------------------------------------------------------------------------
    def _listen(self, port: int) -> None:
        if self._listener is not None:
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
            sock.listen(64)
        except OSError as e:
            sock.close()
            raise ProxyError(f"cannot listen on {LOOPBACK}:{port}: {e.strerror or e}") from None
        sock.setblocking(False)
        self._sel.register(sock, selectors.EVENT_READ, self._accept)
        self._listener = sock

    def _reopen(self) -> None:
        if self._listener is None:
            self._listen(self.port)
            self._log(0, "", "", "", "reopen", f"port {self.port}")

    def _reopen_logged(self) -> None:
        try:
            self._reopen()
        except ProxyError as e:
            self._log(0, "", "", "", "reopen_failed", str(e))

    def _accept(self) -> None:
        assert self._listener is not None
        try:
            client, _ = self._listener.accept()
        except (BlockingIOError, ConnectionAbortedError):
            return
        n = next(self._conn_ids)
        client.settimeout(SEND_TIMEOUT_S)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        upstream = None
        if not self._blackholed():
            try:
                upstream = socket.create_connection(self.upstream, timeout=SEND_TIMEOUT_S)
            except OSError as e:
                self._log(n, "", "", "", "upstream_unreachable", e.strerror or str(e))
                client.close()
                return
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            upstream.settimeout(SEND_TIMEOUT_S)
        conn = _Conn(n, client, upstream)
        self._conns.add(conn)
        for d in DIRECTIONS:
            if conn.src(d) is not None:
                self._sel.register(conn.src(d), selectors.EVENT_READ, lambda d=d: self._readable(conn, d))
        self._log(n, "", "", "", "accept", "" if upstream else "blackholed: stays silent")

    # -- traffic ----------------------------------------------------------------------------------------------
    def _readable(self, conn: _Conn, d: str) -> None:
        if conn.closed:  # closed by an earlier callback of the same select round
            return
        try:
            data = conn.src(d).recv(65536)  # type: ignore[union-attr]
        except (BlockingIOError, socket.timeout):
            return
        except OSError as e:
            self._close_conn(conn, f"{d} side failed: {e.strerror or e}")
            return
        if not data:
            self._source_closed(conn, d)
            return
        try:
            frames = conn.decoder[d].feed(data)
        except FrameError as e:
            self._log(conn.n, d, "", "", "framing_error", str(e))
            self._close_conn(conn, "framing error")
            return
        for raw in frames:
            if conn.closed:
                return
            self._on_frame(conn, d, raw)

    def _source_closed(self, conn: _Conn, d: str) -> None:
        """Pass a half-close on, once whatever is held in that direction has gone; close when both have."""
        conn.eof[d] = True
        self._sel.unregister(conn.src(d))
        if conn.decoder[d].pending:
            self._log(conn.n, d, "", "", "framing_error", f"closed {conn.decoder[d].pending} bytes into a frame")
        if conn.upstream is None or conn.decoder[d].pending:
            self._close_conn(conn, f"{'client' if d == 'request' else 'host'} closed")
            return

        def pass_on() -> None:
            if conn.closed:
                return
            try:
                conn.dst(d).shutdown(socket.SHUT_WR)  # type: ignore[union-attr]
            except OSError:
                pass
            conn.passed_on.add(d)
            if len(conn.passed_on) == 2:
                self._close_conn(conn, "both sides closed")
        self._at(conn.free_at[d], pass_on)

    def _on_frame(self, conn: _Conn, d: str, raw: bytes) -> None:
        mti, stan = identify(raw)
        if conn.upstream is None or self._blackholed():
            self._log(conn.n, d, mti, stan, "blackholed", "swallowed")
            return
        fault = self._pick(d, mti)
        action = fault.action if fault else "forward"
        if fault is None or action in ("delay", "late"):
            when = max(time.monotonic() + (fault.seconds if fault else 0.0), conn.free_at[d])
            conn.free_at[d] = when
            if fault:
                self._log(conn.n, d, mti, stan, action, f"held {fault.seconds:g} s")
            self._at(when, lambda: self._deliver(conn, d, raw, mti, stan, late=action == "late"))
        elif action == "drop":
            self._log(conn.n, d, mti, stan, "drop")
        elif action == "reset":
            self._log(conn.n, d, mti, stan, "reset", "RST to the client" + (
                ", request not forwarded" if d == "request" else " instead of the response"))
            conn.client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self._close_conn(conn, "reset")
        elif action == "cut":
            wire = frame(raw)
            part = wire[:min(fault.nbytes, len(wire) - 1)]  # type: ignore[union-attr]
            self._log(conn.n, d, mti, stan, "cut", f"sent {len(part)} of {len(wire)} bytes, then closed")
            self._send(conn, d, part)
            self._close_conn(conn, "cut")
        else:  # garbage
            junk = self._rng.randbytes(fault.nbytes)  # type: ignore[union-attr]
            self._log(conn.n, d, mti, stan, "garbage", f"{len(junk)} bytes {junk.hex()}")
            if error := self._send(conn, d, junk):
                self._log(conn.n, d, mti, stan, "lost", error)
                self._close_conn(conn, "send failed")

    def _pick(self, d: str, mti: str) -> Fault | None:
        """Every matching fault counts the message; the first whose selection holds fires."""
        chosen = None
        for armed in self._faults:
            f = armed.fault
            if f.direction != d or (f.mti is not None and not mti.startswith(f.mti)):
                continue
            armed.seen += 1
            if chosen is None and (f.nth is None or armed.seen == f.nth) and (
                    f.probability >= 1.0 or self._rng.random() < f.probability):
                chosen = armed
        if chosen is None:
            return None
        chosen.fired += 1
        if chosen.fault.times is not None and chosen.fired >= chosen.fault.times:
            self._faults.remove(chosen)
        return chosen.fault

    def _deliver(self, conn: _Conn, d: str, raw: bytes, mti: str, stan: str, late: bool) -> None:
        if conn.closed:
            self._log(conn.n, d, mti, stan, "late_lost" if late else "lost", "the connection was already closed")
            return
        if self._blackholed():
            self._log(conn.n, d, mti, stan, "blackholed", "held frame swallowed")
            return
        if not late:
            self._log(conn.n, d, mti, stan, "forward")
            if error := self._send(conn, d, frame(raw)):
                self._log(conn.n, d, mti, stan, "lost", error)
                self._close_conn(conn, "send failed")
            return
        error = self._send(conn, d, frame(raw))
        # The bytes may go into a socket whose peer has gone: delivered only if the peer was still there.
        gone = conn.eof[_other(d)]
        if error or gone:
            self._log(conn.n, d, mti, stan, "late_lost", error or "sent, but the peer had already closed")
        else:
            self._log(conn.n, d, mti, stan, "late_delivered")

    def _send(self, conn: _Conn, d: str, data: bytes) -> str:
        """'' on success, else why not."""
        try:
            conn.dst(d).sendall(data)  # type: ignore[union-attr]
        except OSError as e:
            return e.strerror or str(e) or type(e).__name__
        return ""

    def _close_conn(self, conn: _Conn, why: str) -> None:
        if conn.closed:
            return
        conn.closed = True
        for sock in (conn.client, conn.upstream):
            if sock is None:
                continue
            try:
                self._sel.unregister(sock)
            except (KeyError, ValueError):
                pass
            sock.close()
        self._conns.discard(conn)
        self._log(conn.n, "", "", "", "closed", why)
