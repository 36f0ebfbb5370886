"""The `--keys` script: parsing with clear errors, its virtual clock, and read_amount driven by it."""
from __future__ import annotations

import pytest

from drivers.keypad.errors import KeyScriptError, KeySourceExhausted
from drivers.keypad.script import ScriptedKeys, Wait, parse_key_script
from terminal.keypad.fsm import KeypadFSM
from terminal.keypad.states import State
from terminal.txn.operator import KeypadOperator, read_amount
from terminal.keypad.settings import KeypadSettings


def test_parse():
    assert parse_key_script("1, 2,enter,WAIT:1.5,CLEAR,CANCEL,F4,WAIT:0") == [
        "1", "2", "ENTER", Wait(1.5), "CLEAR", "CANCEL", "F4", Wait(0.0)
    ]


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("1,2,ENTR,ENTER", r"--keys token 3 \(column 5\): 'ENTR' is not a key; expected 0-9, CLEAR"),
        ("1,,2", r"--keys token 2 \(column 3\): an empty token is not a key"),
        ("12", r"--keys token 1 \(column 1\): '12' is not a key"),
        ("1,WAIT:x", r"--keys token 2 \(column 3\): 'WAIT:x' needs a number of seconds from 0 to 3600"),
        ("WAIT:-1", r"token 1 \(column 1\): 'WAIT:-1' needs a number of seconds"),
        ("WAIT:nan", r"'WAIT:nan' needs a number of seconds"),
    ],
)
def test_a_bad_token_is_named_with_its_position(script, message):
    with pytest.raises(KeyScriptError, match=message):
        parse_key_script(script)


def test_virtual_clock_keys_at_a_human_pace_and_waits_in_ticks():
    keys = ScriptedKeys.parse("1,WAIT:0.25,2")
    assert (keys.read(0.1), keys.clock()) == ("1", 0.25)
    assert [keys.read(0.1) for _ in range(3)] == [None, None, None]
    assert keys.clock() == pytest.approx(0.5)
    assert (keys.read(0.1), keys.clock()) == ("2", pytest.approx(0.75))
    with pytest.raises(KeySourceExhausted, match="ended after 3 tokens"):
        keys.read(0.1)


def run(script: str, max_amount: int = 100_000_000, **script_options):
    """Amount entry as `posterm sale` without AMOUNT runs it: the keypad over the script, on its own clock."""
    keys = ScriptedKeys.parse(script, **script_options)
    fsm = KeypadFSM(KeypadSettings(max_amount=max_amount), start=State.AMOUNT_ENTRY)
    return read_amount(KeypadOperator(fsm, keys, keys.clock))


@pytest.mark.parametrize(
    ("script", "amount"),
    [
        ("1,2,3,ENTER,ENTER", 123),
        ("1,2,3,CLEAR,4,ENTER,ENTER", 124),
        ("1,1,ENTER,ENTER", 11),  # a script's repeated key is two presses, not bounce
        ("1,2,3,CANCEL,5,ENTER,ENTER", 123),  # another key dismisses the confirmation; 5 is not typed
        ("1,2,3,CANCEL,WAIT:6,ENTER,ENTER", 123),  # silence dismisses it
        ("1,2,3,ENTER,CLEAR,9,ENTER,ENTER", 1239),  # CLEAR on the confirmation goes back to editing
        ("CLEAR,CLEAR,7,ENTER,ENTER", 7),
        ("0,ENTER,5,ENTER,ENTER", 5),  # zero refused, then corrected
    ],
)
def test_read_amount(script, amount):
    assert run(script) == amount


@pytest.mark.parametrize("script", ["1,2,3,CANCEL,ENTER", "CANCEL,ENTER", "1,ENTER,CANCEL,ENTER"])
def test_read_amount_cancelled(script):
    assert run(script) is None


def test_read_amount_refuses_over_the_maximum():
    assert run("9,9,9,ENTER,ENTER", max_amount=500) == 99


def test_read_amount_script_ending_early_is_an_error():
    with pytest.raises(KeySourceExhausted, match="ended after 4 tokens, before the amount was confirmed"):
        run("1,2,3,ENTER")


def test_a_real_time_script_waits_real_seconds_and_types_at_once():
    """`--keys` against a real host runs on the real clock: WAIT:S is S seconds of it, keys need no pace."""
    now = [0.0]
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    keys = ScriptedKeys.parse("1,WAIT:0.5,2", clock=lambda: now[0], sleep=sleep)
    assert keys.peek() == "1" and keys.read(0) == "1"
    assert keys.peek() is None            # a WAIT comes first
    assert keys.read(0.1) is None and now[0] == pytest.approx(0.1)
    assert keys.read(None) == "2" and now[0] == pytest.approx(0.5)
    with pytest.raises(KeySourceExhausted):
        keys.read(0)
