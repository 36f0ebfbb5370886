"""Key streams against the keypad guards: whatever the operator's fingers do, a sale is only cancelled by
CANCEL followed at once (within the confirm window) by ENTER, CLEAR on empty input stays put, and PIN digits
never reach the audit trail or the log."""
from __future__ import annotations

import logging

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.keypad.keys import KEYS
from terminal.keypad.effects import Cancelled
from terminal.keypad.fsm import KeypadFSM
from terminal.keypad.inputs import PinRequested, Tick
from terminal.keypad.settings import KeypadSettings
from terminal.keypad.states import State
from tests.fixtures.keypad import RecordingPinPad, walk_to

# Gaps between presses: bounce-fast, human-fast, and longer than the confirm window.
gaps = st.one_of(st.floats(0.0, 0.08), st.floats(0.08, 2.0), st.floats(4.9, 12.0))
keys = st.sampled_from(KEYS)
streams = st.lists(st.tuples(keys, gaps, st.booleans()), max_size=60)  # (key, gap before it, tick before it)

START_STATES = st.sampled_from(
    [State.IDLE, State.AMOUNT_ENTRY, State.AMOUNT_CONFIRM, State.WAIT_CARD, State.READING_CARD,
     State.APP_CHOICE, State.PIN_ENTRY, State.PROCESSING, State.RESULT]
)


@settings(max_examples=300, deadline=None)
@given(start=START_STATES, stream=streams)
def test_only_cancel_then_enter_within_the_window_cancels(start, stream):
    fsm, _, now = walk_to(start)
    timeout = fsm.settings.confirm_timeout_s
    previous: tuple[str, float] | None = None  # the last key pressed and when
    for key, gap, tick in stream:
        if tick:
            fsm.handle(Tick(), now + gap / 2)
        now += gap
        out = fsm.handle(key, now)
        if any(isinstance(e, Cancelled) for e in out.effects):
            assert key == "ENTER"
            assert previous is not None and previous[0] == "CANCEL" and now - previous[1] < timeout
        previous = (key, now)


@settings(max_examples=200, deadline=None)
@given(start=st.sampled_from([State.AMOUNT_ENTRY, State.PIN_ENTRY]), gaps_=st.lists(gaps, min_size=1, max_size=8))
def test_clear_on_empty_input_never_leaves_the_state(start, gaps_):
    fsm = KeypadFSM(start=State.AMOUNT_ENTRY)
    now = 0.0
    if start is State.PIN_ENTRY:
        fsm, _, now = walk_to(State.READING_CARD)
        now += 1
        fsm.handle(PinRequested(RecordingPinPad()), now)
    screen = fsm.screen
    for gap in gaps_:
        now += gap
        out = fsm.handle("CLEAR", now)
        assert out.state is start and out.screen == screen and out.effects == ()


@settings(max_examples=200, deadline=None)
@given(
    pin=st.text(alphabet="0123456789", min_size=4, max_size=12),
    noise=st.lists(st.tuples(st.sampled_from(KEYS), gaps), max_size=20),
    bounce=st.floats(0.0, 0.5),
)
def test_pin_digits_never_reach_the_audit_trail_or_the_log(pin, noise, bounce):
    logger = logging.getLogger("terminal.keypad")
    records: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign]
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        fsm, _, now = walk_to(State.READING_CARD, KeypadSettings(bounce_s=bounce))
        amount_entries = len(fsm.audit)
        pinpad = RecordingPinPad()
        now += 1
        fsm.handle(PinRequested(pinpad), now)
        for key, gap in [*((d, 1.0) for d in pin), *noise, ("ENTER", 1.0)]:
            now += gap
            if fsm.state in (State.IDLE, State.AMOUNT_ENTRY, State.RESULT):
                break  # the sale ended (cancelled or outcome): later digits would be an amount again
            fsm.handle(key, now)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    pin_phase = list(fsm.audit)[amount_entries:]
    assert all(not e.input.isdigit() for e in pin_phase)
    pin_phase_log = records[amount_entries:]
    assert all(not str(record.args[0]).isdigit() for record in pin_phase_log)  # the key each line names
    assert pin not in "\n".join(record.getMessage() for record in pin_phase_log)
