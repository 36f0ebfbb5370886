"""Driving the keypad from a key source: the interactive loop of `posterm run`, and amount entry alone.

Both loops are thin: read a key (or let a tick pass), hand it to the state machine with the clock's time,
show the screen, act on the effects. An AmountConfirmed effect starts `process_sale(amount_minor, ui)`; the
outcome it returns goes back into the state machine, which shows it.
"""
from __future__ import annotations

import argparse
import dataclasses
import importlib
import logging
import time
from collections.abc import Callable

from drivers.keypad.errors import KeySourceExhausted
from drivers.keypad.keys import QUIT
from drivers.keypad.source import KeySource
from terminal.keypad.effects import AmountConfirmed, Cancelled
from terminal.keypad.fsm import KeypadFSM
from terminal.keypad.inputs import OutcomeReceived, Tick
from terminal.keypad.sale_ui import (
    TICK_S,
    KeypadSession,
    KeypadUI,
    OperatorOutcome,
    OperatorQuit,
    ProcessSale,
)
from terminal.keypad.screen import Screen
from terminal.keypad.settings import KeypadSettings
from terminal.keypad.states import State

log = logging.getLogger("terminal.keypad")


def default_process_sale(args: argparse.Namespace) -> ProcessSale:
    """The sale `posterm run` performs: the real one of terminal/cli/operator_sale.py, built from the
    command's options (config, host, reader, data dir)."""
    operator_sale = importlib.import_module("terminal.cli.operator_sale")
    return operator_sale.make_process_sale(args)


def read_amount(
    keys: KeySource,
    clock: Callable[[], float] | None = None,
    max_amount: int | None = None,
    *,
    settings: KeypadSettings | None = None,
    show: Callable[[Screen], None] | None = None,
) -> int | None:
    """Run the keypad over `keys` for amount entry alone: the amount in minor units once the operator has
    confirmed it (digits, ENTER, ENTER), or None when the operator cancelled (CANCEL, then ENTER).
    `clock` defaults to the source's own (a script's virtual clock) or else time.monotonic; `max_amount`
    defaults to the settings'. Raises KeySourceExhausted when a finite source ends first."""
    if clock is None:
        clock = getattr(keys, "clock", time.monotonic)
    settings = settings or KeypadSettings()
    if max_amount is not None:
        settings = dataclasses.replace(settings, max_amount=max_amount)
    fsm = KeypadFSM(settings, start=State.AMOUNT_ENTRY)
    if show:
        show(fsm.screen)
    while True:
        try:
            key = keys.read(TICK_S)
        except KeySourceExhausted as exc:
            raise KeySourceExhausted(f"{exc}, before the amount was confirmed") from exc
        if key == QUIT:
            return None
        out = fsm.handle(Tick() if key is None else key, clock())
        if show:
            show(out.screen)
        for effect in out.effects:
            if isinstance(effect, AmountConfirmed):
                return effect.amount_minor
            if isinstance(effect, Cancelled):
                return None


def run_terminal(
    keys: KeySource,
    clock: Callable[[], float],
    process_sale: ProcessSale,
    *,
    settings: KeypadSettings | None = None,
    show: Callable[[Screen], None] = lambda screen: None,
    show_receipt: Callable[[list[str]], None] = lambda lines: None,
) -> list[OperatorOutcome]:
    """The operator's terminal: sale after sale until the source ends or the operator quits. Returns the
    outcomes of the sales made, in order."""
    session = KeypadSession(KeypadFSM(settings), keys, clock, show)
    outcomes: list[OperatorOutcome] = []
    show(session.fsm.screen)
    try:
        while True:
            out = session.pump(session.tick_s)
            for effect in out.effects:
                if isinstance(effect, AmountConfirmed):
                    outcome = process_sale(effect.amount_minor, KeypadUI(session))
                    outcomes.append(outcome)
                    log.info("sale of %d minor units: %s", effect.amount_minor, outcome.message)
                    session.feed(OutcomeReceived(outcome.message, outcome.approved))
                    if outcome.receipt:
                        show_receipt(outcome.receipt)
            session.effects.clear()  # a sale's effects matter only while it runs
    except (OperatorQuit, KeySourceExhausted):
        return outcomes
