"""run_terminal and the SaleUI seam: a sale that asks for an application and a PIN through the keypad, a
cancel in the middle of a sale, a forced abort after sending. The sales here are small scripted engines
(plain functions using the real SaleUI), the keypad and its key source are the real ones."""
from __future__ import annotations


from drivers.keypad.script import ScriptedKeys
from terminal.keypad.runloop import run_terminal
from terminal.keypad.sale_ui import OperatorOutcome, SaleUI
from terminal.keypad.screen import Screen
from tests.fixtures.keypad import RecordingPinPad


def run(script: str, sale) -> tuple[list[OperatorOutcome], list[Screen]]:
    keys = ScriptedKeys.parse(script)
    screens: list[Screen] = []
    return run_terminal(keys, keys.clock, sale, show=screens.append), screens


def test_a_chip_sale_asks_for_the_application_and_the_pin():
    seen = {}
    pinpad = RecordingPinPad()

    def sale(amount: int, ui: SaleUI) -> OperatorOutcome:
        ui.card_presented()
        seen["app"] = ui.choose_application(["VISA CREDIT", "VISA DEBIT"])
        seen["pin"] = ui.enter_pin(pinpad)
        assert ui.checkpoint()
        ui.request_sent()
        seen["reversal"] = ui.reversal_requested()
        return OperatorOutcome(f"Approved {amount}", True, ["SALE", "CNY 12.34"])

    outcomes, screens = run("1,2,3,4,ENTER,ENTER,F2,ENTER,4,3,2,1,ENTER", sale)
    assert seen == {"app": 1, "pin": True, "reversal": False}
    assert pinpad.digits == list("4321") and pinpad.completed
    assert outcomes == [OperatorOutcome("Approved 1234", True, ["SALE", "CNY 12.34"])]
    assert Screen("SELECT APPLICATION", "2/2 VISA DEBIT", "ENTER=OK  F1/F2=scroll") in screens
    assert Screen("ENTER PIN", "****", "CNY 12.34") in screens
    assert screens[-1] == Screen("APPROVED", "CNY 12.34", "Approved 1234")


def test_cancel_confirmed_during_pin_entry_stops_the_sale_before_anything_is_sent():
    pinpad = RecordingPinPad()
    calls = []

    def sale(amount: int, ui: SaleUI) -> OperatorOutcome:
        ui.card_presented()
        if not ui.enter_pin(pinpad):
            calls.append("cancelled")
            return OperatorOutcome("Cancelled by operator", False)
        ui.request_sent()  # pragma: no cover - must not be reached
        return OperatorOutcome("Approved", True)

    outcomes, screens = run("5,ENTER,ENTER,1,2,CANCEL,ENTER", sale)
    assert calls == ["cancelled"] and pinpad.abandoned and pinpad.digits == []
    assert outcomes == [OperatorOutcome("Cancelled by operator", False)]
    assert screens[-1] == Screen("READY", "", "Cancelled by operator")


def test_checkpoint_settles_an_open_confirmation_before_sending():
    def sale(amount: int, ui: SaleUI) -> OperatorOutcome:
        ui.card_presented()
        # keys typed while the card was read: CANCEL then, later, 7 (dismiss): the sale goes on
        if not ui.checkpoint():
            return OperatorOutcome("Cancelled", False)  # pragma: no cover
        ui.request_sent()
        return OperatorOutcome("Approved", True)

    outcomes, _ = run("5,ENTER,ENTER,CANCEL,7", sale)
    assert outcomes == [OperatorOutcome("Approved", True)]


def test_a_forced_abort_after_sending_becomes_a_reversal_request():
    def sale(amount: int, ui: SaleUI) -> OperatorOutcome:
        ui.card_presented()
        ui.request_sent()
        while not ui.reversal_requested():  # waiting for the host; the operator insists
            ui.checkpoint()
        return OperatorOutcome("Reversed: operator abort", False)

    outcomes, screens = run("5,ENTER,ENTER,CANCEL,ENTER", sale)
    assert outcomes == [OperatorOutcome("Reversed: operator abort", False)]
    assert Screen("PROCESSING", "CNY 0.05", "Reversal requested; waiting") in screens
    assert screens[-1] == Screen("NOT APPROVED", "CNY 0.05", "Reversed: operator abort")


def _declines(amount_minor, ui):
    return OperatorOutcome("DECLINED: do not honour", False)


def test_sale_after_sale():
    outcomes, screens = run("5,ENTER,ENTER,ENTER,7,ENTER,ENTER", _declines)
    assert [o.message for o in outcomes] == ["DECLINED: do not honour"] * 2
    assert screens[-1] == Screen("NOT APPROVED", "CNY 0.07", "DECLINED: do not honour")
