"""The seam between a running sale and the operator: what the transaction engine may ask of the keypad.

`process_sale(amount_minor, ui) -> OperatorOutcome` is the engine's side. While it runs, the keypad is
still live: the engine calls `ui` at the points where the operator matters, and each call feeds the keypad
state machine and reads keys until the operator has answered. The engine never sees a key, and never a PIN
digit (those go to the PIN pad it hands to `enter_pin`).

The calls, in the order a chip sale makes them (each optional except request_sent before any request):
    ui.card_presented()                    a card arrived; the screen says 'reading card'
    ui.checkpoint() -> bool                keys typed meanwhile are handled; an open cancel confirmation is
                                           settled first. False: the operator cancelled; stop, send nothing.
                                           Call it in wait loops (waiting for a card) and right before sending.
    ui.choose_application(labels) -> int | None   the index chosen, or None: cancelled
    ui.enter_pin(pinpad) -> bool           True: the PIN pad holds 4-12 digits; False: cancelled
    ui.request_sent()                      the request has left: from now on CANCEL can only become a reversal
    ui.reversal_requested() -> bool        poll while waiting for the host: True once the operator forced an
                                           abort (CANCEL then ENTER); the engine must then reverse the sale.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from drivers.keypad.errors import KeySourceExhausted
from drivers.keypad.keys import QUIT
from drivers.keypad.source import KeySource
from terminal.keypad.effects import AppChosen, Cancelled, Effect, PinComplete, ReversalRequested
from terminal.keypad.fsm import KeypadFSM, Output
from terminal.keypad.inputs import AppsOffered, CardPresented, Event, PinRequested, RequestSent, Tick
from terminal.keypad.pinpad import PinPad
from terminal.keypad.screen import Screen
from terminal.keypad.states import CONFIRMATIONS

TICK_S = 0.1
"""How often a waiting loop wakes with no key, so a confirmation's silence timeout is seen promptly."""


@dataclass(frozen=True)
class OperatorOutcome:
    message: str  # the one line for the operator
    approved: bool
    receipt: list[str] | None = None


class SaleUI(Protocol):
    def card_presented(self) -> None: ...
    def checkpoint(self) -> bool: ...
    def choose_application(self, labels: Sequence[str]) -> int | None: ...
    def enter_pin(self, pinpad: PinPad) -> bool: ...
    def request_sent(self) -> None: ...
    def reversal_requested(self) -> bool: ...


ProcessSale = Callable[[int, SaleUI], OperatorOutcome]


class OperatorQuit(Exception):
    """The person at the tty asked to leave (Ctrl-C in raw mode)."""


@dataclass
class KeypadSession:
    """One keypad state machine wired to a key source, a clock and a display."""

    fsm: KeypadFSM
    keys: KeySource
    clock: Callable[[], float]
    show: Callable[[Screen], None] = lambda screen: None
    tick_s: float = TICK_S
    effects: list[Effect] = field(default_factory=list)

    def feed(self, item: str | Event) -> Output:
        out = self.fsm.handle(item, self.clock())
        self.effects.extend(out.effects)
        self.show(out.screen)
        return out

    def pump(self, timeout: float | None) -> Output:
        """Wait up to `timeout` for one key and feed it (a tick when none came)."""
        key = self.keys.read(timeout)
        if key == QUIT:
            raise OperatorQuit()
        return self.feed(Tick() if key is None else key)

    def drain(self) -> None:
        """Feed the keys already typed, without waiting for more. A finite source that has ended has simply
        nothing more typed (the next blocking wait will say it ended)."""
        while True:
            try:
                key = self.keys.read(0)
            except KeySourceExhausted:
                return
            if key is None:
                return
            if key == QUIT:
                raise OperatorQuit()
            self.feed(key)


class KeypadUI:
    """SaleUI over a KeypadSession for one sale: each question is answered by running the state machine on
    keys. Create one per sale (it only looks at the effects produced since it was made)."""

    def __init__(self, session: KeypadSession) -> None:
        self.session = session
        self._start = self._seen = len(session.effects)

    def _sale_effects(self) -> list[Effect]:
        return self.session.effects[self._start :]

    def _wait_for(self, wanted: type) -> Effect | None:
        """Run keys until the state machine produces `wanted` (returned) or a Cancelled (None)."""
        while True:
            fresh = self.session.effects[self._seen :]
            self._seen = len(self.session.effects)
            for effect in fresh:
                if isinstance(effect, wanted):
                    return effect
                if isinstance(effect, Cancelled):
                    return None
            self.session.pump(self.session.tick_s)

    @property
    def cancelled(self) -> bool:
        return any(isinstance(e, Cancelled) for e in self._sale_effects())

    def card_presented(self) -> None:
        self.session.feed(CardPresented())

    def checkpoint(self) -> bool:
        self.session.drain()
        while self.session.fsm.state in CONFIRMATIONS and not self.cancelled:
            self.session.pump(self.session.tick_s)
        return not self.cancelled

    def choose_application(self, labels: Sequence[str]) -> int | None:
        self._seen = len(self.session.effects)
        self.session.feed(AppsOffered(tuple(labels)))
        chosen = self._wait_for(AppChosen)
        return None if chosen is None else chosen.index  # type: ignore[union-attr]

    def enter_pin(self, pinpad: PinPad) -> bool:
        self._seen = len(self.session.effects)
        self.session.feed(PinRequested(pinpad))
        return self._wait_for(PinComplete) is not None

    def request_sent(self) -> None:
        self.session.feed(RequestSent())

    def reversal_requested(self) -> bool:
        self.session.drain()
        return any(isinstance(e, ReversalRequested) for e in self._sale_effects())
