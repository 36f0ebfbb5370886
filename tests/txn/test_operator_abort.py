"""CANCEL then ENTER after the request was sent (`posterm run`): the sale cannot be abandoned, so an approval
is reversed with reason 17. The keypad's UI is replaced by a scripted one here (a test double of the SaleUI
protocol, tests/keypad covers the real keypad's side); the sale, journal, socket and host are real."""
from __future__ import annotations

import argparse

from terminal.cli.operator_sale import make_process_sale
from terminal.iso8583 import decode
from tests.fixtures.host import MAC_KEY, host_address


class OperatorWhoAborts:
    def __init__(self) -> None:
        self.sent = False

    def card_presented(self) -> None: ...

    def checkpoint(self) -> bool:
        return True

    def choose_application(self, labels):
        return 0

    def enter_pin(self, pinpad) -> bool:
        return True

    def request_sent(self) -> None:
        self.sent = True

    def reversal_requested(self) -> bool:
        return self.sent  # CANCEL, ENTER pressed while the request was at the host


def test_abort_after_send_reverses_with_17(host_sim, tmp_path):
    args = argparse.Namespace(config=None, host=host_address(host_sim), data_dir=str(tmp_path),
                              reader="emulated-swipe:magstripe", pin=None)
    process_sale = make_process_sale(args)
    outcome = process_sale(700, OperatorWhoAborts())
    assert not outcome.approved and outcome.message.startswith("CANCELLED")
    msgs = [decode(m, MAC_KEY) for m in host_sim.received]
    assert [m.mti for m in msgs] == ["0200", "0400"] and msgs[1].fields[39] == "17"
    assert host_sim.ledger.approvals()[0]["reversed"] == 1
