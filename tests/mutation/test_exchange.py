"""The one request/answer path: why each answer that is not ours is no answer, what reaches the trace log,
and that the keypad is read while the host works."""
from __future__ import annotations

import logging

from terminal.iso8583 import encode
from terminal.logs import ISO_LOGGER
from terminal.txn.exchange import Answered, NoAnswer, NotSent, Request, exchange, read_answer
from terminal.txn.verdict import from_response, no_response, not_sent
from terminal.store.states import TxnState
from tests.mutation.test_sale_records import swipe

KEY = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")


def request(stan="000007"):
    return Request("0200", stan, b"")


def test_what_is_not_our_answer_says_why():
    ours = encode("0210", {3: "000000", 11: "000007", 39: "00", 41: "TERM0001"}, KEY)
    assert isinstance(read_answer(request(), ours, KEY), Answered)
    assert read_answer(request(), ours, bytes(16)).why.startswith("bad MAC on the 0210: ")
    assert read_answer(request(), b"\x00\x01garbage", KEY).why.startswith("answer is not ISO 8583 of our dialect: ")
    other_mti = encode("0410", {3: "000000", 11: "000007", 39: "00", 41: "TERM0001"}, KEY)
    assert read_answer(request(), other_mti, KEY).why == "answer was a 0410, expected 0210"
    other_stan = encode("0210", {3: "000000", 11: "000008", 12: "093000", 39: "00", 41: "TERM0001"}, KEY)
    assert read_answer(request(), other_stan, KEY).why == "answer 0210 for STAN 000008, expected 0210 for STAN 000007"


def test_the_link_faults_say_what_happened(terminal):
    wire = encode("0800", {3: "990000", 7: "1201093000", 11: "000001", 41: "TERM0001", 42: "MERCHANT0000001"},
                  terminal.driver.cfg.keys.mac_key)
    req = Request("0800", "000001", wire)
    terminal.net.down = True
    assert exchange(terminal.net, req, KEY, 5.0) == NotSent("sim: host unreachable (outage)")
    terminal.net.down = False
    terminal.net.faults.reset_before_host = 1.0
    assert exchange(terminal.net, req, KEY, 5.0) == NoAnswer("sim: connection reset while sending")
    terminal.net.faults.reset_before_host = 0.0
    ticks = []
    reply = exchange(terminal.net, req, terminal.driver.cfg.keys.mac_key, 5.0, idle=lambda: ticks.append(1))
    assert isinstance(reply, Answered) and ticks    # the keypad is read while the host works


def test_both_directions_reach_the_trace_log(terminal, caplog):
    caplog.set_level(logging.DEBUG, logger=ISO_LOGGER)
    terminal.driver.sale("purchase", 1234, swipe())
    lines = [r.getMessage() for r in caplog.records if r.name == ISO_LOGGER]
    assert any(line.startswith("to host") for line in lines) and any(line.startswith("from host") for line in lines)
    assert not any("4761739001010010" in line for line in lines)


def test_verdicts_of_declines_and_of_requests_never_sent():
    from terminal.iso8583 import Message
    v = from_response(Message("0210", {39: "63", 55: b"\x91\x00"}))
    assert v.reason == "host declined: 63 security violation; key set flagged for attention"
    assert (v.message, v.issuer_data, v.rrn) == ("DECLINED: security error, call support", b"\x91\x00", None)
    lost = no_response("timeout")
    assert (lost.state, lost.message, lost.reversal) == (TxnState.REVERSAL_PENDING,
                                                         "NO RESPONSE: reversing, customer not charged", "68")
    n = not_sent("connect refused")
    assert (n.state, n.reason, n.message) == (TxnState.NOT_SENT, "connect refused: nothing sent",
                                              "HOST UNREACHABLE: card not charged, try again")
