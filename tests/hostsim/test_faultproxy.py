"""The fault proxy, through real sockets: a real HostLink in front, the real host simulator behind.

Each fault is checked by its effect on the wire (what the client gets, what the host's ledger shows) and by
the proxy's own log. Waits poll the proxy's log or the ledger; nothing sleeps to synchronise.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import socket
import threading
import time

import pytest

from terminal.hostsim.faultproxy import (Fault, FaultProxy, FaultSpecError, ProxyError, identify,
                                         random_faults)
from terminal.iso8583 import decode, encode
from terminal.iso8583.builders import PURCHASE, Original, Terminal, request_0200, reversal_0400
from terminal.link.client import Endpoint, HostLink
from terminal.link.errors import ConnectError, FrameError, LinkClosed, LinkError, ResponseTimeout
from terminal.link.framing import frame
from tests.fixtures.faultproxy import TEST_MAC_KEY

SHORT = 0.3     # response timeout where no response is the expected outcome
LONG = 5.0      # response timeout where a response is expected
TERMINAL = Terminal("TERM0001", "MERCHANT0000001", "978")
TEST_PAN = "4761739001010010"
LOCAL = dt.datetime(2024, 5, 6, 12, 0, 0)


def original(stan: int) -> Original:
    return Original(PURCHASE, 1000 + stan, stan, LOCAL, "901", 1, transmitted="0506120000")


def sale(stan: int) -> bytes:
    fields = request_0200(TERMINAL, original(stan), dt.datetime.now(dt.timezone.utc),
                          track2=f"{TEST_PAN}=31121011234567890")
    return encode("0200", fields, TEST_MAC_KEY)


def reversal(of: int, stan: int) -> bytes:
    fields = reversal_0400(TERMINAL, original(of), dt.datetime.now(dt.timezone.utc), stan=stan, reason="68")
    return encode("0400", fields, TEST_MAC_KEY)


def link(env) -> HostLink:
    return HostLink(Endpoint.parse(env.address, connect_timeout_s=2.0))


def answer_stan(response: bytes) -> str:
    msg = decode(response, TEST_MAC_KEY)  # the MAC verifies: the response arrived whole and untouched
    assert msg.mti in ("0210", "0410")
    return str(msg.fields[11])


def processed(env) -> list[tuple[str, str]]:
    return [(mti, stan) for mti, stan, _ in env.host.ledger.messages()]


def poll(predicate, timeout_s: float = 5.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("condition not met within the deadline")


def actions(env, conn: int | None = None) -> list[tuple[str, str, str, str]]:
    """(direction, mti, stan, action) of every message event, in order."""
    return [(e.direction, e.mti, e.stan, e.action) for e in env.proxy.events()
            if e.mti and (conn is None or e.conn == conn)]


def raw_client(env) -> socket.socket:
    """A bare socket, for checking the exact bytes (or the RST) a client gets."""
    return socket.create_connection(("127.0.0.1", env.proxy.port), timeout=LONG)


def read_until_eof(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


# -- no fault ------------------------------------------------------------------------------------------------
def test_without_faults_messages_pass_untouched_and_are_logged_by_mti_and_stan(fault_proxy):
    client = link(fault_proxy)
    requests = [sale(1), sale(2)]
    assert answer_stan(client.exchange(requests[0], LONG)) == "000001"
    assert answer_stan(client.exchange(requests[1], LONG)) == "000002"
    assert fault_proxy.host.received == requests  # byte for byte
    assert actions(fault_proxy) == [("request", "0200", "000001", "forward"), ("response", "0210", "000001", "forward"),
                                    ("request", "0200", "000002", "forward"), ("response", "0210", "000002", "forward")]
    client.close()


# -- drop ----------------------------------------------------------------------------------------------------
def test_drop_request_host_never_sees_it_and_client_times_out(fault_proxy):
    fault_proxy.proxy.add(Fault("drop", "request"))
    client = link(fault_proxy)
    with pytest.raises(ResponseTimeout):
        client.exchange(sale(1), SHORT)
    fault_proxy.proxy.wait_for("drop")
    assert fault_proxy.host.received == [] and processed(fault_proxy) == []
    assert answer_stan(client.exchange(sale(2), LONG)) == "000002"  # fired once, then gone
    assert processed(fault_proxy) == [("0200", "000002")]
    assert ("request", "0200", "000001", "drop") in actions(fault_proxy)


def test_drop_response_host_processed_it_and_client_times_out(fault_proxy):
    fault_proxy.proxy.add(Fault("drop", "response"))
    with pytest.raises(ResponseTimeout):
        link(fault_proxy).exchange(sale(1), SHORT)
    fault_proxy.proxy.wait_for("drop")
    assert processed(fault_proxy) == [("0200", "000001")]
    assert ("response", "0210", "000001", "drop") in actions(fault_proxy)


# -- delay ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("direction", ["request", "response"])
def test_delay_holds_a_message_then_forwards_it(fault_proxy, direction):
    fault_proxy.proxy.add(Fault("delay", direction, seconds=0.2))
    assert answer_stan(link(fault_proxy).exchange(sale(1), LONG)) == "000001"
    other = "response" if direction == "request" else "request"
    mti = "0200" if direction == "request" else "0210"
    log = actions(fault_proxy)
    assert log.index((direction, mti, "000001", "delay")) < log.index((direction, mti, "000001", "forward"))
    assert (other, {"request": "0200", "response": "0210"}[other], "000001", "forward") in log


def test_delay_beyond_the_timeout_looks_like_no_response(fault_proxy):
    fault_proxy.proxy.add(Fault("delay", "request", seconds=1.0))
    with pytest.raises(ResponseTimeout):
        link(fault_proxy).exchange(sale(1), SHORT)


# -- reset ---------------------------------------------------------------------------------------------------
def test_reset_before_forwarding_sends_rst_and_host_never_sees_the_request(fault_proxy):
    fault_proxy.proxy.add(Fault("reset", "request"))
    sock = raw_client(fault_proxy)
    sock.sendall(frame(sale(1)))
    with pytest.raises(ConnectionResetError):  # an RST, not an orderly close
        read_until_eof(sock)
    sock.close()
    fault_proxy.proxy.wait_for("closed")
    assert fault_proxy.host.received == [] and processed(fault_proxy) == []


def test_reset_after_forwarding_host_processed_it_and_client_sees_link_closed(fault_proxy):
    fault_proxy.proxy.add(Fault("reset", "response"))
    client = link(fault_proxy)
    with pytest.raises(LinkClosed):
        client.exchange(sale(1), LONG)
    assert processed(fault_proxy) == [("0200", "000001")]
    assert ("response", "0210", "000001", "reset") in actions(fault_proxy)
    assert answer_stan(client.exchange(sale(2), LONG)) == "000002"  # reconnects on demand


# -- cut -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("nbytes, error", [(0, LinkClosed), (1, FrameError), (10, FrameError)])
def test_cut_response_gives_a_short_frame(fault_proxy, nbytes, error):
    fault_proxy.proxy.add(Fault("cut", "response", nbytes=nbytes))
    with pytest.raises(error):
        link(fault_proxy).exchange(sale(1), LONG)
    assert processed(fault_proxy) == [("0200", "000001")]


def test_cut_response_sends_exactly_the_first_bytes_then_closes(fault_proxy):
    fault_proxy.proxy.add(Fault("cut", "response", nbytes=10))
    sock = raw_client(fault_proxy)
    sock.sendall(frame(sale(1)))
    got = read_until_eof(sock)
    sock.close()
    assert len(got) == 10
    announced = int.from_bytes(got[:2], "big")
    assert 12 <= announced <= 4096 and got[2:6] == b"0210"
    cut = fault_proxy.proxy.wait_for("cut")[0]
    assert cut.detail == f"sent 10 of {announced + 2} bytes, then closed"


def test_cut_request_host_does_not_act_and_client_sees_link_closed(fault_proxy):
    fault_proxy.proxy.add(Fault("cut", "request", nbytes=30))
    with pytest.raises(LinkClosed):
        link(fault_proxy).exchange(sale(1), LONG)
    fault_proxy.proxy.wait_for("cut")
    assert fault_proxy.host.received == [] and processed(fault_proxy) == []


# -- late ----------------------------------------------------------------------------------------------------
def test_late_response_after_the_client_gave_up_is_recorded_as_lost(fault_proxy):
    fault_proxy.proxy.add(Fault("late", "response", seconds=1.0))
    client = link(fault_proxy)
    with pytest.raises(ResponseTimeout):
        client.exchange(sale(1), SHORT)  # HostLink closes its socket on a timeout
    lost = fault_proxy.proxy.wait_for("late_lost")[0]
    assert (lost.mti, lost.stan) == ("0210", "000001")
    assert processed(fault_proxy) == [("0200", "000001")]
    assert answer_stan(client.exchange(sale(2), LONG)) == "000002"


def test_late_response_to_a_client_still_waiting_is_delivered(fault_proxy):
    fault_proxy.proxy.add(Fault("late", "response", seconds=0.2))
    assert answer_stan(link(fault_proxy).exchange(sale(1), LONG)) == "000001"
    delivered = fault_proxy.proxy.wait_for("late_delivered")[0]
    assert (delivered.mti, delivered.stan) == ("0210", "000001")


# -- garbage -------------------------------------------------------------------------------------------------
def test_garbage_replaces_the_response_with_exactly_the_logged_random_bytes(fault_proxy):
    fault_proxy.proxy.add(Fault("garbage", "response", nbytes=16))
    sock = raw_client(fault_proxy)
    sock.sendall(frame(sale(1)))
    got = b""
    while len(got) < 16 and (chunk := sock.recv(64)):
        got += chunk
    sock.close()
    event = fault_proxy.proxy.wait_for("garbage")[0]
    assert event.detail == f"16 bytes {got.hex()}"
    assert processed(fault_proxy) == [("0200", "000001")]


def test_garbage_is_never_taken_for_a_response(fault_proxy):
    fault_proxy.proxy.add(Fault("garbage", "response", nbytes=16))
    with pytest.raises((FrameError, ResponseTimeout)):
        link(fault_proxy).exchange(sale(1), SHORT)


# -- blackhole -----------------------------------------------------------------------------------------------
def test_blackhole_swallows_everything_then_heals(fault_proxy):
    client = link(fault_proxy)
    assert answer_stan(client.exchange(sale(1), LONG)) == "000001"  # a connection made before the window
    fault_proxy.proxy.blackhole(1.0)
    with pytest.raises(ResponseTimeout):
        client.exchange(sale(2), SHORT)
    silent = raw_client(fault_proxy)  # made during the window: stays silent for good
    poll(lambda: [e for e in fault_proxy.proxy.events() if e.detail == "blackholed: stays silent"])
    fault_proxy.proxy.wait_for("heal")
    assert answer_stan(client.exchange(sale(3), LONG)) == "000003"
    silent.sendall(frame(sale(4)))
    silent.settimeout(SHORT)
    with pytest.raises(socket.timeout):
        silent.recv(64)
    silent.close()
    poll(lambda: ("request", "0200", "000004", "blackholed") in actions(fault_proxy))
    assert processed(fault_proxy) == [("0200", "000001"), ("0200", "000003")]


# -- refuse --------------------------------------------------------------------------------------------------
def test_refuse_closes_the_port_and_reopen_takes_the_same_port(fault_proxy):
    port = fault_proxy.proxy.port
    fault_proxy.proxy.refuse()
    client = link(fault_proxy)
    with pytest.raises(ConnectError):
        client.exchange(sale(1), LONG)
    fault_proxy.proxy.reopen()
    assert fault_proxy.proxy.port == port
    assert answer_stan(client.exchange(sale(2), LONG)) == "000002"
    assert processed(fault_proxy) == [("0200", "000002")]


def test_refuse_for_a_while_reopens_by_itself(fault_proxy):
    fault_proxy.proxy.refuse(seconds=0.3)
    with pytest.raises(ConnectError):
        link(fault_proxy).exchange(sale(1), LONG)
    fault_proxy.proxy.wait_for("reopen")
    assert answer_stan(link(fault_proxy).exchange(sale(2), LONG)) == "000002"


def test_connections_made_before_refuse_carry_on(fault_proxy):
    client = link(fault_proxy)
    assert answer_stan(client.exchange(sale(1), LONG)) == "000001"
    fault_proxy.proxy.refuse()
    assert answer_stan(client.exchange(sale(2), LONG)) == "000002"


# -- which message -------------------------------------------------------------------------------------------
def test_nth_picks_exactly_that_message(fault_proxy):
    fault_proxy.proxy.add(Fault("drop", "request", nth=3))
    client = link(fault_proxy)
    outcomes = []
    for stan in range(1, 6):
        try:
            outcomes.append(answer_stan(client.exchange(sale(stan), SHORT if stan == 3 else LONG)))
        except ResponseTimeout:
            outcomes.append("timeout")
    assert outcomes == ["000001", "000002", "timeout", "000004", "000005"]
    assert [stan for _, _, stan, action in actions(fault_proxy) if action == "drop"] == ["000003"]


def test_mti_match_faults_only_that_message_class(fault_proxy):
    fault_proxy.proxy.add(Fault("drop", "request", mti="04"))  # 0400 and its repeat 0401
    client = link(fault_proxy)
    assert answer_stan(client.exchange(sale(1), LONG)) == "000001"
    with pytest.raises(ResponseTimeout):
        client.exchange(reversal(of=1, stan=2), SHORT)
    assert answer_stan(client.exchange(reversal(of=1, stan=3), LONG)) == "000003"
    assert ("request", "0400", "000002", "drop") in actions(fault_proxy)


def test_times_limits_how_often_a_fault_fires(fault_proxy):
    fault_proxy.proxy.add(Fault("delay", "response", seconds=0.05, times=2))
    client = link(fault_proxy)
    for stan in (1, 2, 3):
        client.exchange(sale(stan), LONG)
    assert [stan for _, _, stan, action in actions(fault_proxy) if action == "delay"] == ["000001", "000002"]
    assert fault_proxy.proxy.armed() == []


def delayed_stans(host_port: int, seed: int) -> list[str]:
    with FaultProxy(host_port, seed=seed) as proxy:
        proxy.add(Fault("delay", "request", probability=0.5, times=None, seconds=0.01))
        client = HostLink(Endpoint.parse(proxy.address))
        for stan in range(1, 11):
            client.exchange(sale(stan), LONG)
        client.close()
        return [e.stan for e in proxy.events() if e.action == "delay"]


def test_probability_is_reproducible_from_the_seed(fault_proxy):
    first = delayed_stans(fault_proxy.host.port, seed=11)
    second = delayed_stans(fault_proxy.host.port, seed=11)
    assert first == second and 0 < len(first) < 10


def test_random_fault_schedules_are_reproducible_and_valid():
    one = random_faults(random.Random(5), 20)
    assert one == random_faults(random.Random(5), 20)
    assert all(f.nth and f.times == 1 for f in one)
    assert {f.action for f in one} >= {"delay", "drop", "cut"}


def test_a_random_schedule_runs_through_and_every_outcome_is_a_response_or_a_link_error(fault_proxy):
    schedule = random_faults(random.Random(3), 8, max_seconds=0.5, max_nth=4)
    for fault in schedule:
        fault_proxy.proxy.add(fault)
    client = link(fault_proxy)
    for stan in range(1, 13):
        try:
            assert answer_stan(client.exchange(sale(stan), SHORT)) == f"{stan:06d}"
        except LinkError:
            pass  # the outcome is unknown to the terminal: exactly what the transaction engine must handle
    still_armed = len(fault_proxy.proxy.armed())  # read first: a response still in flight may fire one more
    fired = [e for e in fault_proxy.proxy.events() if e.action in {f.action for f in schedule}]
    assert len(schedule) - still_armed <= len(fired) <= len(schedule)
    assert not [e for e in fault_proxy.proxy.events() if e.action == "proxy_failed"], fault_proxy.proxy.format_log()


# -- bad input -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, named", [
    (dict(action="explode"), "action"), (dict(action="drop", direction="both"), "direction"),
    (dict(action="late", direction="request", seconds=1), "late"), (dict(action="delay"), "seconds"),
    (dict(action="garbage", direction="response"), "nbytes"), (dict(action="cut", nbytes=-1), "nbytes"),
    (dict(action="drop", nth=0), "nth"), (dict(action="drop", mti="02x0"), "mti"),
    (dict(action="drop", probability=1.5), "probability"), (dict(action="drop", times=0), "times"),
])
def test_a_bad_fault_is_a_typed_error_naming_the_field(kwargs, named):
    with pytest.raises(FaultSpecError, match=named):
        Fault(**kwargs)


@pytest.mark.parametrize("kwargs, named", [(dict(listen_host="0.0.0.0"), "listens on 127.0.0.1 only"),
                                           (dict(listen_host="::1"), "listens on 127.0.0.1 only"),
                                           (dict(upstream_host="192.0.2.1"), "loopback address only"),
                                           (dict(upstream_host="example.org"), "loopback address only")])
def test_anything_but_loopback_is_refused(kwargs, named):
    with pytest.raises(ProxyError, match=named):
        FaultProxy(9, **kwargs)


def test_a_busy_port_is_a_typed_error(fault_proxy):
    with pytest.raises(ProxyError, match=f"cannot listen on 127.0.0.1:{fault_proxy.host.port}"):
        FaultProxy(fault_proxy.host.port, port=fault_proxy.host.port)


def test_a_closed_proxy_refuses_control_calls(fault_proxy):
    fault_proxy.proxy.close()
    with pytest.raises(ProxyError, match="closed"):
        fault_proxy.proxy.add(Fault("drop"))
    fault_proxy.proxy.close()  # idempotent


def test_framing_errors_from_the_client_drop_the_connection(fault_proxy):
    sock = raw_client(fault_proxy)
    sock.sendall(b"\xff\xff" + b"x" * 10)  # announces 65535 bytes: larger than the link carries
    assert read_until_eof(sock) == b""
    sock.close()
    assert fault_proxy.proxy.wait_for("framing_error")[0].detail.startswith("frame announces 65535 bytes")
    assert fault_proxy.host.received == []


def test_host_down_behind_the_proxy_closes_the_client(fault_proxy):
    with FaultProxy(fault_proxy.proxy.port) as proxy:  # upstream is the proxy's own refused port
        fault_proxy.proxy.refuse()
        with pytest.raises(LinkClosed):
            HostLink(Endpoint.parse(proxy.address)).exchange(sale(1), LONG)
        assert proxy.wait_for("upstream_unreachable")


# -- the log -------------------------------------------------------------------------------------------------
def test_the_log_names_messages_by_mti_and_stan_and_never_holds_card_data(fault_proxy):
    fault_proxy.proxy.add(Fault("drop", "response"))
    with pytest.raises(ResponseTimeout):
        link(fault_proxy).exchange(sale(42), SHORT)
    fault_proxy.proxy.wait_for("drop")
    text = fault_proxy.proxy.format_log()
    assert "0200 stan=000042 forward" in text and "0210 stan=000042 drop" in text
    assert TEST_PAN[:6] not in text and TEST_PAN[-4:] not in text


def test_identify_reads_mti_and_stan_and_survives_garbage():
    assert identify(sale(7)) == ("0200", "000007")
    assert identify(b"0210" + b"\xff" * 20) == ("0210", "")
    assert identify(b"\x00" * 12) == ("?", "")


# -- many connections, clean shutdown ------------------------------------------------------------------------
def test_many_sequential_connections(fault_proxy):
    for stan in range(1, 31):
        client = link(fault_proxy)
        assert answer_stan(client.exchange(sale(stan), LONG)) == f"{stan:06d}"
        client.close()
    poll(lambda: fault_proxy.proxy.open_connections() == 0)
    assert len(processed(fault_proxy)) == 30


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_close_leaks_no_thread_and_no_file_descriptor(fault_proxy):
    fds_before = open_fds()
    proxy = FaultProxy(fault_proxy.host.port)
    client = HostLink(Endpoint.parse(proxy.address))
    assert answer_stan(client.exchange(sale(1), LONG)) == "000001"
    proxy.add(Fault("late", "response", seconds=30))  # still held when the proxy closes
    with pytest.raises(ResponseTimeout):
        client.exchange(sale(2), SHORT)
    proxy.add(Fault("reset", "request"))
    with pytest.raises(LinkClosed):
        client.exchange(sale(3), LONG)
    proxy.blackhole(30)
    silent = socket.create_connection(("127.0.0.1", proxy.port))
    poll(lambda: proxy.open_connections() >= 1)
    proxy.close()
    silent.close()
    client.close()
    assert not [t for t in threading.enumerate() if t.name == f"faultproxy:{proxy.port}"]
    poll(lambda: open_fds() == fds_before)  # the host's side closes once it sees our close
