"""The guards of DESIGN.md 'Operator keypad: guards', one behaviour per test, driven through real inputs."""
from __future__ import annotations

import logging

import pytest

from terminal.keypad.amount import currency_of
from terminal.keypad.effects import AmountConfirmed, Cancelled, ReversalRequested
from terminal.keypad.errors import KeypadError, KeypadSettingsError
from terminal.keypad.fsm import KeypadFSM
from terminal.keypad.inputs import OutcomeReceived, PinRequested, Tick
from terminal.keypad.settings import KeypadSettings, settings_from_config
from terminal.keypad.states import State


def feed(fsm: KeypadFSM, keys: list, start: float = 0.0, step: float = 1.0):
    now, out = start, None
    for key in keys:
        now += step
        out = fsm.handle(key, now)
    return out, now


def test_implied_decimals():
    fsm = KeypadFSM(start=State.AMOUNT_ENTRY)
    shown = [fsm.handle(k, t).screen.value for t, k in enumerate("1230", start=1)]
    assert shown == ["CNY 0.01", "CNY 0.12", "CNY 1.23", "CNY 12.30"]


def test_leading_zeros_are_not_digits_and_a_currency_without_minor_unit_has_no_dot():
    fsm = KeypadFSM(KeypadSettings(currency=currency_of("392")), start=State.AMOUNT_ENTRY)
    out, _ = feed(fsm, ["0", "0", "5", "0"])
    assert out.screen.value == "JPY 50" and fsm.amount_minor == 50


def test_clear_removes_one_digit_and_does_nothing_on_empty_input():
    fsm = KeypadFSM(start=State.AMOUNT_ENTRY)
    out, _ = feed(fsm, ["1", "2", "CLEAR"])
    assert out.screen.value == "CNY 0.01"
    out, _ = feed(fsm, ["CLEAR", "CLEAR", "CLEAR"], start=10)
    assert (out.state, out.screen.value, out.effects) == (State.AMOUNT_ENTRY, "CNY 0.00", ())


def test_zero_is_refused_with_one_line():
    fsm = KeypadFSM(start=State.AMOUNT_ENTRY)
    out, _ = feed(fsm, ["0", "ENTER"])
    assert out.state is State.AMOUNT_ENTRY and out.screen.message == "Amount must be above zero"


def test_a_digit_past_the_maximum_is_refused_and_the_amount_kept():
    fsm = KeypadFSM(KeypadSettings(max_amount=10000), start=State.AMOUNT_ENTRY)
    out, _ = feed(fsm, ["1", "0", "0", "0", "0", "1"])
    assert out.screen.value == "CNY 100.00" and out.screen.message == "Max CNY 100.00"
    out, _ = feed(fsm, ["ENTER", "ENTER"], start=10)
    assert out.effects == (AmountConfirmed(10000),)


def test_cancel_needs_enter_to_confirm():
    fsm = KeypadFSM(start=State.AMOUNT_ENTRY)
    out, _ = feed(fsm, ["4", "2", "CANCEL"])
    assert out.state is State.CANCEL_CONFIRM and out.effects == ()
    out, _ = feed(fsm, ["ENTER"], start=3.5)
    assert out.effects == (Cancelled("amount entry"),) and out.screen.message == "Sale cancelled"


@pytest.mark.parametrize("other", ["7", "CLEAR", "CANCEL", "F3"])
def test_any_other_key_dismisses_the_confirmation_with_the_input_kept_exactly(other):
    fsm = KeypadFSM(start=State.AMOUNT_ENTRY)
    out, now = feed(fsm, ["4", "2", "CANCEL", other])
    assert (out.state, out.screen.value, out.effects) == (State.AMOUNT_ENTRY, "CNY 0.42", ())
    out = fsm.handle("ENTER", now + 1)  # and the next ENTER is amount entry's, not a cancel
    assert out.state is State.AMOUNT_CONFIRM


def test_silence_dismisses_the_confirmation_at_the_configured_time():
    fsm = KeypadFSM(KeypadSettings(confirm_timeout_s=3), start=State.AMOUNT_ENTRY)
    _, now = feed(fsm, ["4", "2", "CANCEL"])
    assert fsm.handle(Tick(), now + 2.99).state is State.CANCEL_CONFIRM
    out = fsm.handle(Tick(), now + 3.0)
    assert (out.state, out.screen.value) == (State.AMOUNT_ENTRY, "CNY 0.42")


def test_enter_after_the_silence_window_without_a_tick_does_not_cancel():
    fsm = KeypadFSM(start=State.AMOUNT_ENTRY)
    _, now = feed(fsm, ["4", "2", "CANCEL"])
    out = fsm.handle("ENTER", now + 5.0)
    assert out.effects == () and out.state is State.AMOUNT_CONFIRM


def test_a_repeat_within_the_bounce_window_is_ignored_and_after_it_counts():
    fsm = KeypadFSM(start=State.AMOUNT_ENTRY)
    fsm.handle("5", 1.0)
    assert fsm.handle("5", 1.059).screen.value == "CNY 0.05"
    assert fsm.handle("5", 1.060 + 1.0).screen.value == "CNY 0.55"
    assert fsm.handle("6", 2.061).screen.value == "CNY 5.56"  # another key is never bounce
    assert [e.action for e in fsm.audit].count("bounce") == 1


def test_a_bounced_enter_does_not_skip_the_amount_confirmation():
    fsm = KeypadFSM(start=State.AMOUNT_ENTRY)
    _, now = feed(fsm, ["5"])
    assert fsm.handle("ENTER", now + 1).state is State.AMOUNT_CONFIRM
    out = fsm.handle("ENTER", now + 1.02)
    assert out.state is State.AMOUNT_CONFIRM and out.effects == ()


def test_bounce_window_is_configurable():
    fsm = KeypadFSM(settings_from_config({"keypad": {"bounce_ms": 200}}), start=State.AMOUNT_ENTRY)
    fsm.handle("5", 1.0)
    assert fsm.handle("5", 1.15).screen.value == "CNY 0.05"


def test_after_the_request_is_sent_cancel_cannot_abandon_it_and_forcing_it_requests_a_reversal(keypad_in):
    fsm, _, now = keypad_in(State.PROCESSING)
    out = fsm.handle("CANCEL", now + 1)
    assert out.state is State.ABORT_CONFIRM and out.effects == ()
    out = fsm.handle("ENTER", now + 2)
    assert out.effects == (ReversalRequested(),) and out.state is State.PROCESSING
    out = fsm.handle("CANCEL", now + 3)  # asking twice changes nothing
    assert out.state is State.PROCESSING and out.screen.message == "Reversal already requested"
    out = fsm.handle(OutcomeReceived("Reversed: operator abort", False), now + 4)
    assert out.state is State.RESULT and out.screen.message == "Reversed: operator abort"
    assert not any(isinstance(e, Cancelled) for e in out.effects)


def test_pin_entry_takes_4_to_12_digits_and_shows_only_asterisks(recording_pinpad, keypad_in):
    fsm, _, now = keypad_in(State.READING_CARD)
    fsm.handle(PinRequested(recording_pinpad), now + 1)
    out, now = feed(fsm, list("123"), start=now + 1)
    assert out.screen.value == "***"
    assert fsm.handle("ENTER", now + 1).screen.message == "PIN needs 4 to 12 digits"
    out, now = feed(fsm, list("456789012345"), start=now + 1)
    assert out.screen.value == "*" * 12 and out.screen.message == "PIN has at most 12 digits"
    assert "".join(recording_pinpad.digits) == "123456789012"
    assert fsm.handle("ENTER", now + 1).state is State.READING_CARD


def test_pin_digits_never_reach_the_audit_trail_or_the_log(caplog, recording_pinpad, keypad_in):
    caplog.set_level(logging.DEBUG, logger="terminal.keypad")
    fsm, _, now = keypad_in(State.READING_CARD)
    fsm.handle(PinRequested(recording_pinpad), now + 1)
    feed(fsm, ["9", "8", "CANCEL", "6", "7", "7", "ENTER"], start=now + 1)  # the two 7s are 1 s apart: two presses
    assert recording_pinpad.digits == ["9", "8", "7", "7"]
    inputs_while_pin = [e.input for e in fsm.audit if State.PIN_ENTRY in (e.before, e.after)]
    assert set(inputs_while_pin) <= {"*", "CANCEL", "ENTER", "PIN requested"}
    assert not any(ch in record.getMessage() for record in caplog.records for ch in "6789")


def test_an_unknown_key_is_a_clear_error():
    with pytest.raises(KeypadError, match="'X' is not a key"):
        KeypadFSM().handle("X", 1.0)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"keypad": {"confirm_timeout_s": 0}}, "confirm_timeout_s = 0.0: expected 0.5 to 120"),
        ({"keypad": {"bounce_ms": "fast"}}, "bounce_ms = 'fast': expected a number"),
        ({"limits": {"max_amount": 0}}, "max_amount = 0: expected 1-"),
        ({"terminal": {"currency": "EUR"}}, "currency = 'EUR': expected a 3-digit ISO 4217"),
    ],
)
def test_bad_settings_name_what_is_wrong(config, message):
    with pytest.raises(KeypadSettingsError, match=message):
        settings_from_config(config)


def test_settings_defaults_and_config():
    assert settings_from_config({}) == KeypadSettings()
    s = settings_from_config({"keypad": {"confirm_timeout_s": 8, "bounce_ms": 40}, "limits": {"max_amount": 500},
                              "terminal": {"currency": "978"}})
    assert (s.confirm_timeout_s, s.bounce_s, s.max_amount, s.currency.alpha) == (8.0, 0.04, 500, "EUR")


def test_the_audit_trail_records_keys_and_transitions_but_not_idle_ticks():
    fsm = KeypadFSM(KeypadSettings(confirm_timeout_s=1), start=State.AMOUNT_ENTRY)
    fsm.handle("4", 1.0)
    fsm.handle("CANCEL", 2.0)
    for i in range(1, 30):
        fsm.handle(Tick(), 2.0 + i / 10)  # the 10th tick ends the 1 s silence
    assert [(e.at, e.input, e.before.value, e.after.value, e.action) for e in fsm.audit] == [
        (1.0, "4", "amount entry", "amount entry", "append_digit"),
        (2.0, "CANCEL", "amount entry", "cancel confirmation", "open_cancel_confirm"),
        (3.0, "timeout tick", "cancel confirmation", "amount entry", "dismiss_if_silent"),
    ]
