"""The operator's side of a running sale, as the driver loop uses it: the keypad state machine over a key
source and a display, or nobody at all.

The driver polls the operator whenever it waits (for the card's answers, for the host), so a key is never held
back until the sale is over: CANCEL while PROCESSING opens the confirmation at once, and keys typed before a
result is shown are spent before it appears (a result is dismissed only by a key pressed after it was shown).
What the keypad decides becomes a core event: a confirmed cancel is `OperatorCancelled`, whichever phase it
lands in (before sending: nothing is sent; after: an approval is reversed with reason 17).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from drivers.keypad.errors import KeySourceExhausted
from drivers.keypad.keys import QUIT
from drivers.keypad.source import KeySource
from terminal.i18n.text import N_
from terminal.keypad.effects import AppChosen, Cancelled, Effect, PinComplete, ReversalRequested, RiskAnswered
from terminal.keypad.fsm import KeypadFSM
from terminal.keypad.inputs import (AppsOffered, CardPresented, OutcomeReceived, PinRequested, RequestSent,
                                    RiskQuestion, Tick, input_of)
from terminal.keypad.pinpad import PinDigits
from terminal.keypad.screen import Screen
from terminal.keypad.states import CONFIRMATIONS, State
from terminal.keypad.table import TRANSITIONS
from terminal.txn.core import OperatorCancelled

NEXT_SALE = frozenset({State.AMOUNT_ENTRY, State.AMOUNT_CONFIRM})

TICK_S = 0.05
"""How long one wait for a key lasts while the terminal waits for the operator: short, so a confirmation's
silence timeout and the host's answer are both seen promptly."""


class OperatorQuit(Exception):
    """The person at the tty asked to leave (Ctrl-C in raw mode)."""


class Operator(Protocol):
    interactive: bool            # someone can type at the keypad (a PIN, answers to the terminal)
    chooses_application: bool    # offer the card's application list (else the highest priority is taken)
    def notify(self, event: CardPresented | RequestSent) -> None: ...
    def poll(self) -> list[OperatorCancelled]: ...
    def settle(self) -> bool: ...
    def enter_pin(self, digits: PinDigits) -> bool: ...
    def confirm(self, title: str, value: str) -> bool: ...
    def supervisor_pin(self, title: str, digits: PinDigits) -> bool: ...
    def choose(self, labels: Sequence[str]) -> int | None: ...
    def show_result(self, message: str, approved: bool) -> None: ...


class NoOperator:
    """A sale with nobody at the keypad (`posterm sale AMOUNT` without --keys, tests, benchmarks)."""

    interactive = False
    chooses_application = False
    cancelled = False

    def notify(self, event: CardPresented | RequestSent) -> None:
        pass

    def poll(self) -> list[OperatorCancelled]:
        return []

    def settle(self) -> bool:
        return False

    def enter_pin(self, digits: PinDigits) -> bool:
        return False

    def confirm(self, title: str, value: str) -> bool:
        return False      # nobody to say yes: the default, no

    def supervisor_pin(self, title: str, digits: PinDigits) -> bool:
        return False

    def choose(self, labels: Sequence[str]) -> int | None:
        return None

    def show_result(self, message: str, approved: bool) -> None:
        pass


class KeypadOperator:
    """The keypad state machine wired to a key source, a clock and a display, for sale after sale.

    `hold_ignored`: a scripted operator (--keys) types like an attentive person: while a sale is in flight,
    a key the current screen would ignore waits until the screen changes so that it matters (CANCEL while
    PROCESSING is typed at once; the next sale's digits wait for the result screen)."""

    interactive = True

    def __init__(self, fsm: KeypadFSM, keys: KeySource, clock: Callable[[], float],
                 show: Callable[[Screen], None] = lambda screen: None, *, hold_ignored: bool = False,
                 chooses_application: bool = True) -> None:
        self.fsm, self.keys, self.clock, self.show = fsm, keys, clock, show
        self.hold_ignored = hold_ignored
        self.chooses_application = chooses_application
        self.exhausted = False   # a script that has ended is an operator who says nothing more
        self.effects: list[Effect] = []
        self.in_flight = False
        self._reported = 0   # effects already turned into core events

    # ---- feeding the state machine ------------------------------------------------------------------------
    def feed(self, item: str | object) -> None:
        out = self.fsm.handle(item, self.clock())
        self.effects.extend(out.effects)
        self.show(out.screen)

    def _held(self) -> bool:
        """A scripted key that the screen would ignore now, during a sale: leave it in the script."""
        if not (self.hold_ignored and self.in_flight):
            return False
        peek = getattr(self.keys, "peek", None)
        key = peek() if peek else None
        if key is None:
            return False
        return TRANSITIONS[self.fsm.state][input_of(key)].action == "ignore"

    def pump(self, timeout: float) -> None:
        """Wait up to `timeout` for one key and feed it (a tick when none came). Between sales the end of a
        script ends the terminal (KeySourceExhausted); during one, the script has simply nothing more to say.
        Nothing is held here: the screen waits for the operator (a PIN, a choice, a question, a confirmation),
        so a key it ignores would wait for a change only the script itself can bring: it is spent, ignored."""
        if self.exhausted and not self.in_flight:
            raise KeySourceExhausted("the key script ended during the last sale")
        try:
            key = None if self.exhausted else self.keys.read(timeout)
        except KeySourceExhausted:
            if not self.in_flight:
                raise
            self.exhausted, key = True, None
        if key == QUIT:
            raise OperatorQuit()
        self.feed(Tick() if key is None else key)

    def drain(self) -> None:
        """Feed the keys already typed, without waiting; a tick lets a confirmation's silence expire."""
        while not self._held():
            if self.exhausted:
                break
            try:
                key = self.keys.read(0)
            except KeySourceExhausted:
                self.exhausted = self.in_flight
                break
            if key is None:
                break
            if key == QUIT:
                raise OperatorQuit()
            self.feed(key)
        self.feed(Tick())

    def _new_cancel_events(self) -> list[OperatorCancelled]:
        fresh = self.effects[self._reported:]
        self._reported = len(self.effects)
        return [OperatorCancelled() for e in fresh if isinstance(e, (Cancelled, ReversalRequested))]

    def _wait_for(self, wanted: type) -> Effect | None:
        """Run keys until the state machine produces `wanted` (returned) or a Cancelled (None)."""
        seen = len(self.effects)
        while True:
            for effect in self.effects[seen:]:
                if isinstance(effect, wanted):
                    return effect
                if isinstance(effect, Cancelled):
                    return None
            seen = len(self.effects)
            if self.exhausted:
                return None   # nobody will answer: as if nobody chose / typed a PIN
            self.pump(TICK_S)

    # ---- what the driver asks -------------------------------------------------------------------------------
    def start_sale(self) -> None:
        self.in_flight, self.effects, self._reported = True, [], 0

    def notify(self, event: CardPresented | RequestSent) -> None:
        self.feed(event)

    def poll(self) -> list[OperatorCancelled]:
        self.drain()
        return self._new_cancel_events()

    def settle(self) -> bool:
        """The checkpoint before sending: typed keys handled; an open cancel confirmation answered first."""
        self.drain()
        while self.fsm.state in CONFIRMATIONS and not self._cancelled() and not self.exhausted:
            self.pump(TICK_S)
        return self._cancelled()

    def _cancelled(self) -> bool:
        return any(isinstance(e, Cancelled) for e in self.effects)

    def enter_pin(self, digits: PinDigits) -> bool:
        self.feed(PinRequested(digits))
        return self._wait_for(PinComplete) is not None

    def confirm(self, title: str, value: str) -> bool:
        """A risk question: ENTER = yes; any other key, a cancel, or a script that ended = no."""
        self.feed(RiskQuestion(title, value))
        answer = self._wait_for(RiskAnswered)
        return bool(answer is not None and answer.yes)  # type: ignore[union-attr]

    def supervisor_pin(self, title: str, digits: PinDigits) -> bool:
        """The supervisor's PIN into `digits` (which checks it); False when nobody typed one."""
        self.feed(PinRequested(digits, N_("SUPERVISOR PIN"), title))
        return self._wait_for(PinComplete) is not None

    def choose(self, labels: Sequence[str]) -> int | None:
        self.feed(AppsOffered(tuple(labels)))
        chosen = self._wait_for(AppChosen)
        return None if chosen is None else chosen.index  # type: ignore[union-attr]

    def show_result(self, message: str, approved: bool) -> None:
        """Keys typed before the result spend themselves on the screen they were typed at; the result is then
        dismissed only by a key pressed after it appeared (or its display timeout)."""
        self.drain()
        if self.fsm.beneath not in NEXT_SALE:
            # else the operator cancelled this sale and is already keying the next amount (CANCEL, ENTER,
            # ENTER; perhaps a CANCEL over it too): the keypad showed the cancel then, and this sale's ending
            # would only break the new entry
            self.feed(OutcomeReceived(message, approved))
        self.in_flight = False


def read_amount(operator: KeypadOperator) -> int | None:
    """Run the keypad until the operator confirmed an amount (digits, ENTER, ENTER) or cancelled (None)."""
    from terminal.keypad.effects import AmountConfirmed
    while True:
        for effect in operator.effects:
            if isinstance(effect, AmountConfirmed):
                operator.effects.clear()
                return effect.amount_minor
            if isinstance(effect, Cancelled):
                operator.effects.clear()
                return None
        operator.effects.clear()
        try:
            operator.pump(TICK_S)
        except KeySourceExhausted as exc:
            raise KeySourceExhausted(f"{exc}, before the amount was confirmed") from exc


def serve(operator: KeypadOperator, sale: Callable[[int], object], *,
          on_new_sale: Callable[[], None] = lambda: None, on_ready: Callable[[], object] = lambda: None) -> int:
    """The operator's terminal: sale after sale until the key source ends or the operator quits. Keeps nothing
    per sale (a terminal runs for months). `on_ready` runs at every turn spent on the READY screen (the end of
    day's settlement, terminal/txn/end_of_day.py). Returns how many sales were made."""
    from terminal.keypad.effects import AmountConfirmed
    from terminal.keypad.states import State
    sales = 0
    try:
        while True:
            before = operator.fsm.state
            operator.pump(TICK_S)
            if operator.fsm.state is State.AMOUNT_ENTRY and before in (State.IDLE, State.RESULT):
                on_new_sale()
            fresh = [e for e in operator.effects if isinstance(e, AmountConfirmed)]
            operator.effects.clear()
            for effect in fresh:
                sale(effect.amount_minor)
                sales += 1
            if operator.fsm.state is State.IDLE:
                on_ready()
    except (OperatorQuit, KeySourceExhausted):
        return sales
