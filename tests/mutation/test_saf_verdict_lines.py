"""What the operator reads for an approval (txn/verdict.py): the response code's own line, never empty."""
from __future__ import annotations

from terminal.iso8583 import Message
from terminal.txn.verdict import from_response


def test_an_approval_shows_the_operator_approved():
    v = from_response(Message("0210", {39: "00", 37: "000000000042", 38: "123456"}))
    assert v.message == "APPROVED"
