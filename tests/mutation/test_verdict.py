"""The verdict on an answer, field by field: what is kept of 37, 38 and 55, and what a missing 39 means."""
from __future__ import annotations

from terminal.iso8583 import Message
from terminal.store.states import TxnState
from terminal.txn.verdict import from_response, no_response


def test_an_approval_keeps_auth_code_stripped_rrn_and_issuer_data():
    v = from_response(Message("0210", {39: "00", 37: "000000000042", 38: " 12345", 55: b"\x91\x01\x02"}))
    assert (v.state, v.reason, v.response_code) == (TxnState.APPROVED, "host approved", "00")
    assert (v.auth_code, v.rrn, v.issuer_data) == ("12345", "000000000042", b"\x91\x01\x02")


def test_an_approval_without_auth_code_or_rrn_keeps_none_of_them():
    v = from_response(Message("0210", {39: "00", 55: "not bytes"}))
    assert (v.state, v.auth_code, v.rrn, v.issuer_data) == (TxnState.APPROVED, None, None, b"")


def test_an_answer_without_field_39_is_a_decline_with_an_empty_code():
    v = from_response(Message("0210", {37: "000000000042"}))
    assert (v.state, v.response_code, v.rrn) == (TxnState.DECLINED, "", "000000000042")
    assert v.reason.startswith("host declined:  ")


def test_a_decline_names_its_code_and_63_flags_the_keys():
    assert from_response(Message("0210", {39: "51"})).reason == "host declined: 51 insufficient funds"
    assert from_response(Message("0210", {39: "63"})).reason.endswith("; key set flagged for attention")
    assert no_response("timeout").reason == "timeout: outcome unknown"
