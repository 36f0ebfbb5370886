"""The operator keypad state machine: keys and events in, screens and effects out. No I/O, no threads.

`KeypadFSM.handle(item, now)` takes a key name or an event and the current monotonic time from the caller's
clock, looks the (state, input) pair up in `table.TRANSITIONS` and runs that row's action. Time only matters
for two guards, both measured on `now`: contact bounce (the same key again within `bounce_s` is dropped) and
the silence that dismisses a confirmation (noticed at the first tick or key after `confirm_timeout_s`).

PIN digits go straight to the PIN pad of the PinRequested event; the machine keeps only their count, and the
audit trail and the log show each of them as '*'.
"""
from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

from terminal.i18n.money import Amount
from terminal.i18n.text import N_, _
from terminal.keypad.amount import amount_refusal, format_amount
from terminal.keypad.effects import (
    AmountConfirmed,
    AppChosen,
    Cancelled,
    Effect,
    PinComplete,
    ReversalRequested,
    RiskAnswered,
)
from terminal.keypad.errors import KeypadSequenceError
from terminal.keypad.inputs import (
    AppsOffered,
    Event,
    Input,
    OutcomeReceived,
    PinRequested,
    RiskQuestion,
    Tick,
    input_of,
)
from terminal.keypad.pinpad import PinDigits
from terminal.keypad.screen import Screen
from terminal.keypad.settings import PIN_MAX_DIGITS, PIN_MIN_DIGITS, KeypadSettings
from terminal.keypad.states import CONFIRMATIONS, State
from terminal.keypad.table import BACK, TRANSITIONS

log = logging.getLogger("terminal.keypad")

PIN_MASK = "*"
_DIGITS_MASKED = frozenset(
    {State.WAIT_CARD, State.READING_CARD, State.PIN_ENTRY, State.PROCESSING, State.ABORT_CONFIRM}
)


@dataclass(frozen=True)
class Output:
    state: State
    screen: Screen
    effects: tuple[Effect, ...] = ()


@dataclass(frozen=True)
class AuditEntry:
    at: float
    input: str  # the key ('*' for any digit typed during PIN entry) or the event's name
    before: State
    after: State
    action: str  # the table's action; 'bounce' for a dropped repeat; 'refused: ...' when the action refused


@dataclass(frozen=True)
class _Refuse:
    """An action declined: the state stays. With a message, the screen's message line says why."""

    message: str | None = None


class KeypadFSM:
    def __init__(
        self,
        settings: KeypadSettings | None = None,
        *,
        start: State = State.IDLE,
        audit_limit: int = 10_000,
    ) -> None:
        if start not in (State.IDLE, State.AMOUNT_ENTRY):
            raise ValueError(f"keypad start state {start.value!r}: expected idle or amount entry")
        self._result_at = 0.0
        self.settings = settings or KeypadSettings()
        self.state = start
        self.audit: deque[AuditEntry] = deque(maxlen=audit_limit)
        self._digits = ""  # the amount as typed, without leading zeros
        self._message: str | None = None  # None: the state's own guidance line
        self._return_state = State.IDLE  # what a confirmation interrupted ...
        self._return_message: str | None = None  # ... and the message it showed then
        self._opened_at = 0.0
        self._apps: tuple[str, ...] = ()
        self._highlight = 0
        self._pinpad: PinDigits | None = None
        self._pin_count = 0
        self._pin_title = "ENTER PIN"
        self._pin_why = ""
        self._question: RiskQuestion | None = None
        self._reversal_requested = False
        self._outcome: OutcomeReceived | None = None
        self._last_key: str | None = None
        self._last_key_at = 0.0
        self._effects: list[Effect] = []
        self._next_message: str | None = None

    # --- what callers read -------------------------------------------------------------------------------
    @property
    def amount_minor(self) -> int:
        return int(self._digits or "0")

    @property
    def pin_digits(self) -> int:
        """How many PIN digits are typed so far (the digits themselves are in the PIN pad only)."""
        return self._pin_count

    @property
    def screen(self) -> Screen:
        return self._screen_of(self.state)

    @property
    def beneath(self) -> State:
        """The state an open confirmation would go back to; the state itself when none is open."""
        return self._return_state if self.state in CONFIRMATIONS else self.state

    @classmethod
    def for_sale(cls, settings: KeypadSettings | None, amount_minor: int) -> "KeypadFSM":
        """A keypad whose amount came from elsewhere (the command line): it starts waiting for the card."""
        fsm = cls(settings)
        fsm._digits = str(amount_minor)
        fsm.state = State.WAIT_CARD
        return fsm

    # --- the one entry point -----------------------------------------------------------------------------
    def handle(self, item: str | Event, now: float) -> Output:
        """Feed one key name or event at monotonic time `now`; get the screen to show and the effects."""
        column = input_of(item)
        self._effects = []
        if isinstance(item, str):
            if item == self._last_key and now - self._last_key_at < self.settings.bounce_s:
                self._record(now, item, self.state, self.state, "bounce")
                return Output(self.state, self.screen)
            self._last_key, self._last_key_at = item, now
        if self.state in CONFIRMATIONS and column is not Input.TICK and self._silent_since(now):
            self._dispatch(Tick(), Input.TICK, now)  # the silence came first: dismiss before this input
        self._dispatch(item, column, now)
        return Output(self.state, self.screen, tuple(self._effects))

    def _dispatch(self, item: str | Event, column: Input, now: float) -> None:
        before = self.state
        transition = TRANSITIONS[before][column]
        if transition.action == "ignore":
            if column is not Input.TICK:  # ticks come ten times a second: only those that act are recorded
                self._record(now, item, before, before, "ignore")
            return
        self._next_message = None
        refusal = getattr(self, f"_act_{transition.action}")(item, now)
        if isinstance(refusal, _Refuse):
            if refusal.message is not None:
                self._message = refusal.message
            if column is not Input.TICK or refusal.message is not None:
                self._record(now, item, before, before, f"refused: {refusal.message or 'no change'}")
            return
        self.state = self._return_state if transition.next == BACK else transition.next  # type: ignore[assignment]
        self._message = self._next_message
        self._record(now, item, before, self.state, transition.action)
        if transition.action == "dismiss_then_handle":
            self._dispatch(item, column, now)  # the event belongs to the restored state

    def _silent_since(self, now: float) -> bool:
        return now - self._opened_at >= self.settings.confirm_timeout_s

    def _masks_digits(self, state: State) -> bool:
        """Digits are shown as '*' wherever a cardholder may be typing a PIN, not only in PIN entry itself:
        a PIN typed a moment early or late must not land in the trail either."""
        if state is State.CANCEL_CONFIRM:
            state = self._return_state
        return state in _DIGITS_MASKED

    def _record(self, now: float, item: str | Event, before: State, after: State, action: str) -> None:
        if isinstance(item, str):
            shown = PIN_MASK if item.isdigit() and self._masks_digits(before) else item
        else:
            shown = input_of(item).value
        entry = AuditEntry(now, shown, before, after, action)
        self.audit.append(entry)
        log.debug("keypad %s: %s -> %s (%s)", entry.input, before.value, after.value, action)

    # --- the screens ---------------------------------------------------------------------------------------
    def _screen_of(self, state: State) -> Screen:
        """The screen of `state` in the operator's language (the English text is the msgid: terminal/i18n)."""
        amount = format_amount(self.amount_minor, self.settings.currency)
        message = _(self._message) if self._message else None
        match state:
            case State.IDLE:
                return Screen(_("READY"), "", message or _("Key in the amount"))
            case State.AMOUNT_ENTRY:
                return Screen(_("ENTER AMOUNT"), amount, message or "")
            case State.AMOUNT_CONFIRM:
                return Screen(_("CONFIRM AMOUNT"), amount, message or _("ENTER=OK  CLEAR=change"))
            case State.WAIT_CARD:
                return Screen(_("INSERT, TAP OR SWIPE"), amount, message or "")
            case State.READING_CARD:
                return Screen(_("READING CARD"), amount, message or _("Do not remove the card"))
            case State.APP_CHOICE:
                label = self._apps[self._highlight] if self._apps else ""
                value = f"{self._highlight + 1}/{len(self._apps)} {label}"
                return Screen(_("SELECT APPLICATION"), value, message or _("ENTER=OK  F1/F2=scroll"))
            case State.PIN_ENTRY:
                why = _(self._pin_why) if self._pin_why else amount
                return Screen(_(self._pin_title), PIN_MASK * self._pin_count, message or why)
            case State.RISK_CONFIRM:
                q = self._question
                return Screen(_(q.title) if q else "", _(q.value) if q else amount,
                              message or _("charge again? ENTER=yes other=no"))
            case State.PROCESSING:
                default = _("Reversal requested; waiting") if self._reversal_requested else _("Please wait")
                return Screen(_("PROCESSING"), amount, message or default)
            case State.RESULT:
                outcome = self._outcome
                title = _("APPROVED") if outcome and outcome.approved else _("NOT APPROVED")
                return Screen(title, amount, message or (_(outcome.message) if outcome else ""))
            case State.CANCEL_CONFIRM:
                kept = self._screen_of(self._return_state).value
                return Screen(_("CANCEL SALE?"), kept, _("ENTER=yes  other key=no"))
            case State.ABORT_CONFIRM:
                return Screen(_("CANCEL SALE? it will be reversed"), amount, _("ENTER=yes  other=no"))
        raise AssertionError(state)  # pragma: no cover - every State is matched above

    # --- the actions named in the table --------------------------------------------------------------------
    def _append(self, digit: str) -> str | None:
        candidate = (self._digits + digit).lstrip("0")
        if int(candidate or "0") > self.settings.max_amount:
            return N_("Max {amount}", amount=Amount(self.settings.max_amount, self.settings.currency.numeric))
        self._digits = candidate
        return None

    def _act_start_amount(self, item: str, now: float) -> None:
        self._digits, self._outcome = "", None
        self._next_message = self._append(item)

    def _act_new_amount(self, item: object, now: float) -> None:
        self._digits, self._outcome = "", None

    def _act_append_digit(self, item: str, now: float) -> _Refuse | None:
        refusal = self._append(item)
        return _Refuse(refusal) if refusal else None

    def _act_remove_digit(self, item: object, now: float) -> _Refuse | None:
        if not self._digits:
            return _Refuse()
        self._digits = self._digits[:-1]
        return None

    def _act_check_amount(self, item: object, now: float) -> _Refuse | None:
        refusal = amount_refusal(self.amount_minor, self.settings.max_amount, self.settings.currency)
        return _Refuse(refusal) if refusal else None

    def _act_edit_amount(self, item: object, now: float) -> None:
        pass

    def _act_confirm_amount(self, item: object, now: float) -> _Refuse | None:
        refused = self._act_check_amount(item, now)
        if refused:
            return refused
        self._reversal_requested = False
        self._effects.append(AmountConfirmed(self.amount_minor))
        return None

    def _act_open_cancel_confirm(self, item: object, now: float) -> None:
        self._return_state, self._return_message, self._opened_at = self.state, self._message, now

    def _act_cancel_sale(self, item: object, now: float) -> None:
        self._wipe_pin()
        self._effects.append(Cancelled(self._return_state.value))
        self._digits = ""
        self._next_message = N_("Sale cancelled")

    def _act_dismiss(self, item: object, now: float) -> None:
        self._next_message = self._return_message

    def _act_dismiss_if_silent(self, item: object, now: float) -> _Refuse | None:
        if not self._silent_since(now):
            return _Refuse()
        return self._act_dismiss(item, now)

    _act_dismiss_then_handle = _act_dismiss

    def _act_out_of_sequence(self, item: object, now: float) -> None:
        raise KeypadSequenceError(
            f"keypad: {input_of(item).value!r} cannot happen during {self.state.value}"  # type: ignore[arg-type]
        )

    def _act_amount_first(self, item: object, now: float) -> _Refuse:
        return _Refuse(N_("Amount first, then the card"))

    def _act_read_card(self, item: object, now: float) -> None:
        pass

    def _act_offer_apps(self, item: AppsOffered, now: float) -> None:
        if not item.labels:
            raise KeypadSequenceError("keypad: app list offered with no application in it")
        self._apps, self._highlight = tuple(item.labels), 0

    def _choose(self, index: int) -> None:
        self._effects.append(AppChosen(index, self._apps[index]))

    def _act_choose_numbered(self, item: str, now: float) -> _Refuse | None:
        number = int(item)
        if not 1 <= number <= len(self._apps):
            return _Refuse(N_("Choose 1-{count}", count=len(self._apps)))
        self._choose(number - 1)
        return None

    def _act_choose_highlighted(self, item: object, now: float) -> None:
        self._choose(self._highlight)

    def _act_highlight_previous(self, item: object, now: float) -> None:
        self._highlight = (self._highlight - 1) % len(self._apps)

    def _act_highlight_next(self, item: object, now: float) -> None:
        self._highlight = (self._highlight + 1) % len(self._apps)

    def _act_start_pin(self, item: PinRequested, now: float) -> None:
        self._pinpad, self._pin_count, self._pin_title, self._pin_why = item.pinpad, 0, item.title, item.why

    def _act_ask_risk(self, item: RiskQuestion, now: float) -> None:
        self._question = item

    def _act_answer_yes(self, item: object, now: float) -> None:
        self._effects.append(RiskAnswered(True))
        self._question = None

    def _act_answer_no(self, item: object, now: float) -> None:
        self._effects.append(RiskAnswered(False))
        self._question = None

    def _act_pin_digit(self, item: str, now: float) -> _Refuse | None:
        if self._pin_count >= PIN_MAX_DIGITS:
            return _Refuse(N_("PIN has at most {count} digits", count=PIN_MAX_DIGITS))
        assert self._pinpad is not None
        self._pinpad.add_digit(item)
        self._pin_count += 1
        return None

    def _act_pin_remove(self, item: object, now: float) -> _Refuse | None:
        if self._pin_count == 0:
            return _Refuse()
        assert self._pinpad is not None
        self._pinpad.remove_digit()
        self._pin_count -= 1
        return None

    def _act_pin_complete(self, item: object, now: float) -> _Refuse | None:
        if self._pin_count < PIN_MIN_DIGITS:
            return _Refuse(N_("PIN needs {low} to {high} digits", low=PIN_MIN_DIGITS, high=PIN_MAX_DIGITS))
        assert self._pinpad is not None
        self._pinpad.complete()
        self._effects.append(PinComplete(self._pin_count))
        self._pinpad, self._pin_count = None, 0
        return None

    def _wipe_pin(self) -> None:
        if self._pinpad is not None:
            self._pinpad.abandon()
        self._pinpad, self._pin_count = None, 0

    def _act_wait_for_host(self, item: object, now: float) -> None:
        self._reversal_requested = False

    def _act_show_outcome(self, item: OutcomeReceived, now: float) -> None:
        self._wipe_pin()
        self._outcome = item
        self._result_at = now

    def _act_finish_if_shown_long(self, item: object, now: float) -> _Refuse | None:
        """A result screen leaves by itself after its display timeout ([keypad] result_timeout_s)."""
        if now - self._result_at < self.settings.result_timeout_s:
            return _Refuse()
        return self._act_finish(item, now)

    def _act_note_outcome(self, item: OutcomeReceived, now: float) -> None:
        self._next_message = item.message

    def _act_open_abort_confirm(self, item: object, now: float) -> _Refuse | None:
        if self._reversal_requested:
            return _Refuse(N_("Reversal already requested"))
        self._act_open_cancel_confirm(item, now)
        return None

    def _act_request_reversal(self, item: object, now: float) -> None:
        self._reversal_requested = True
        self._effects.append(ReversalRequested())

    def _act_finish(self, item: object, now: float) -> None:
        self._digits, self._outcome = "", None
