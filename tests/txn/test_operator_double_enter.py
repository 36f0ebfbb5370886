"""Found by the simulation (tests/sim): CANCEL, ENTER, ENTER while the chip is read. The first ENTER confirms the
cancel, the second starts the next sale's amount; the cancelled sale's ending must not then be pushed into
that amount entry, nor into a cancel confirmation opened over it (it raised KeypadSequenceError and ended
`posterm run`)."""
from __future__ import annotations

from collections import Counter

import pytest

from drivers.emulated.inprocess import InProcessChannel
from drivers.emulated.vcard import load_profile
from terminal.config import Config, keypad_settings
from terminal.emv.pin import EmulatedPinPad, Format0TdesKey
from terminal.keypad.fsm import KeypadFSM
from terminal.keypad.settings import for_tty
from terminal.keypad.states import State
from terminal.store import Journal
from terminal.txn.cards import ChipReader
from terminal.txn.clock import ManualClock
from terminal.txn.loop import Driver
from terminal.txn.operator import KeypadOperator
from tests.sim.devices import PlannedKeys, PulledCard


class NoHost:
    """Nothing may be sent: the sale is cancelled while the card is read."""

    def ensure_connected(self):
        raise AssertionError("a cancelled sale contacted the host")

    send = receive = ensure_connected

    def close(self):
        pass


@pytest.mark.parametrize("typed", [["CANCEL", "ENTER", "ENTER"],
                                   ["CANCEL", "ENTER", "ENTER", "CANCEL"]])   # a cancel over the new amount too
def test_cancel_confirmed_then_a_second_enter_starts_the_next_amount(tmp_path, typed):
    cfg, clock = Config(), ManualClock()
    at = clock.monotonic() + 0.05            # after the first APDUs (each takes 30 ms of simulated time)
    keys = PlannedKeys(clock, [(at, key) for key in typed])
    fsm = KeypadFSM.for_sale(for_tty(keypad_settings(cfg)), 1234)
    operator = KeypadOperator(fsm, keys, clock.monotonic)
    card = ChipReader(lambda: PulledCard(InProcessChannel(load_profile("visa")), clock, None, Counter()))
    journal = Journal(tmp_path / "journal.sqlite3", utc=lambda: clock.now().utc)
    driver = Driver(cfg, journal, NoHost(), clock=clock)
    result = driver.sale("purchase", 1234, card, operator=operator,
                         pinpad=EmulatedPinPad("1234", Format0TdesKey(cfg.keys.pin_key)))
    assert (result.outcome, result.message) == ("cancelled", "CANCELLED: nothing sent")
    assert fsm.beneath is State.AMOUNT_ENTRY   # the second ENTER began the next sale, and the keypad is still fine
    assert journal.txns() == []
