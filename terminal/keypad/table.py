"""The keypad transition table: state -> input -> (action, next state). Every pair is here, nothing implied.

Read a row as "in STATE, on INPUT, do ACTION and go to NEXT". Actions are the verbs of `fsm.KeypadFSM` (its
`_act_<action>` methods). Two rules hold for every action:
- an action may refuse (amount zero or over the maximum, a PIN too short, a choice out of range, a timeout not
  yet reached): then the state stays and the screen's message line says why (or nothing changes at all);
- NEXT = BACK means "the state this confirmation interrupted", restored exactly as it was.
'ignore' changes nothing at all (screen included); 'out_of_sequence' raises KeypadSequenceError: the
transaction engine sent an event that cannot happen there, which is a bug in the caller, not the operator's.

docs/keypad.md renders this table (python -m terminal.keypad.doc) and a test checks the two agree.
"""
from __future__ import annotations

from dataclasses import dataclass

from terminal.keypad.inputs import Input as I
from terminal.keypad.states import State as S

BACK = "BACK"


@dataclass(frozen=True)
class Transition:
    action: str
    next: S | str  # a State, or BACK


def T(action: str, next: S | str) -> Transition:
    return Transition(action, next)


TRANSITIONS: dict[S, dict[I, Transition]] = {
    S.IDLE: {
        I.DIGIT: T("start_amount", S.AMOUNT_ENTRY),
        I.CLEAR: T("ignore", S.IDLE),
        I.CANCEL: T("ignore", S.IDLE),  # nothing to cancel
        I.ENTER: T("new_amount", S.AMOUNT_ENTRY),
        I.F1: T("new_amount", S.AMOUNT_ENTRY),  # F1 is the SALE key
        I.F2: T("ignore", S.IDLE),
        I.F3: T("ignore", S.IDLE),
        I.F4: T("ignore", S.IDLE),
        I.TICK: T("ignore", S.IDLE),
        I.CARD_PRESENTED: T("amount_first", S.IDLE),
        I.APPS_OFFERED: T("out_of_sequence", S.IDLE),
        I.PIN_REQUESTED: T("out_of_sequence", S.IDLE),
        I.RISK_QUESTION: T("out_of_sequence", S.IDLE),
        I.REQUEST_SENT: T("out_of_sequence", S.IDLE),
        I.OUTCOME_RECEIVED: T("note_outcome", S.IDLE),  # a sale cancelled in flight reports how it ended
    },
    S.AMOUNT_ENTRY: {
        I.DIGIT: T("append_digit", S.AMOUNT_ENTRY),  # refused past the maximum
        I.CLEAR: T("remove_digit", S.AMOUNT_ENTRY),  # one digit; nothing when empty
        I.CANCEL: T("open_cancel_confirm", S.CANCEL_CONFIRM),
        I.ENTER: T("check_amount", S.AMOUNT_CONFIRM),  # refused for zero or over the maximum
        I.F1: T("ignore", S.AMOUNT_ENTRY),
        I.F2: T("ignore", S.AMOUNT_ENTRY),
        I.F3: T("ignore", S.AMOUNT_ENTRY),
        I.F4: T("ignore", S.AMOUNT_ENTRY),
        I.TICK: T("ignore", S.AMOUNT_ENTRY),
        I.CARD_PRESENTED: T("amount_first", S.AMOUNT_ENTRY),
        I.APPS_OFFERED: T("out_of_sequence", S.AMOUNT_ENTRY),
        I.PIN_REQUESTED: T("out_of_sequence", S.AMOUNT_ENTRY),
        I.RISK_QUESTION: T("out_of_sequence", S.AMOUNT_ENTRY),
        I.REQUEST_SENT: T("out_of_sequence", S.AMOUNT_ENTRY),
        I.OUTCOME_RECEIVED: T("out_of_sequence", S.AMOUNT_ENTRY),
    },
    S.AMOUNT_CONFIRM: {
        I.DIGIT: T("ignore", S.AMOUNT_CONFIRM),
        I.CLEAR: T("edit_amount", S.AMOUNT_ENTRY),  # back to typing, amount kept
        I.CANCEL: T("open_cancel_confirm", S.CANCEL_CONFIRM),
        I.ENTER: T("confirm_amount", S.WAIT_CARD),  # effect: AmountConfirmed
        I.F1: T("ignore", S.AMOUNT_CONFIRM),
        I.F2: T("ignore", S.AMOUNT_CONFIRM),
        I.F3: T("ignore", S.AMOUNT_CONFIRM),
        I.F4: T("ignore", S.AMOUNT_CONFIRM),
        I.TICK: T("ignore", S.AMOUNT_CONFIRM),
        I.CARD_PRESENTED: T("amount_first", S.AMOUNT_CONFIRM),
        I.APPS_OFFERED: T("out_of_sequence", S.AMOUNT_CONFIRM),
        I.PIN_REQUESTED: T("out_of_sequence", S.AMOUNT_CONFIRM),
        I.RISK_QUESTION: T("out_of_sequence", S.AMOUNT_CONFIRM),
        I.REQUEST_SENT: T("out_of_sequence", S.AMOUNT_CONFIRM),
        I.OUTCOME_RECEIVED: T("out_of_sequence", S.AMOUNT_CONFIRM),
    },
    S.WAIT_CARD: {
        I.DIGIT: T("ignore", S.WAIT_CARD),
        I.CLEAR: T("ignore", S.WAIT_CARD),
        I.CANCEL: T("open_cancel_confirm", S.CANCEL_CONFIRM),
        I.ENTER: T("ignore", S.WAIT_CARD),
        I.F1: T("ignore", S.WAIT_CARD),
        I.F2: T("ignore", S.WAIT_CARD),
        I.F3: T("ignore", S.WAIT_CARD),
        I.F4: T("ignore", S.WAIT_CARD),
        I.TICK: T("ignore", S.WAIT_CARD),
        I.CARD_PRESENTED: T("read_card", S.READING_CARD),
        I.APPS_OFFERED: T("offer_apps", S.APP_CHOICE),
        I.PIN_REQUESTED: T("start_pin", S.PIN_ENTRY),
        I.RISK_QUESTION: T("ask_risk", S.RISK_CONFIRM),
        I.REQUEST_SENT: T("wait_for_host", S.PROCESSING),
        I.OUTCOME_RECEIVED: T("show_outcome", S.RESULT),
    },
    S.READING_CARD: {
        I.DIGIT: T("ignore", S.READING_CARD),
        I.CLEAR: T("ignore", S.READING_CARD),
        I.CANCEL: T("open_cancel_confirm", S.CANCEL_CONFIRM),  # nothing sent yet: a cancel is still clean
        I.ENTER: T("ignore", S.READING_CARD),
        I.F1: T("ignore", S.READING_CARD),
        I.F2: T("ignore", S.READING_CARD),
        I.F3: T("ignore", S.READING_CARD),
        I.F4: T("ignore", S.READING_CARD),
        I.TICK: T("ignore", S.READING_CARD),
        I.CARD_PRESENTED: T("ignore", S.READING_CARD),
        I.APPS_OFFERED: T("offer_apps", S.APP_CHOICE),
        I.PIN_REQUESTED: T("start_pin", S.PIN_ENTRY),
        I.RISK_QUESTION: T("ask_risk", S.RISK_CONFIRM),
        I.REQUEST_SENT: T("wait_for_host", S.PROCESSING),
        I.OUTCOME_RECEIVED: T("show_outcome", S.RESULT),
    },
    S.APP_CHOICE: {
        I.DIGIT: T("choose_numbered", S.READING_CARD),  # effect: AppChosen; refused out of range
        I.CLEAR: T("ignore", S.APP_CHOICE),
        I.CANCEL: T("open_cancel_confirm", S.CANCEL_CONFIRM),
        I.ENTER: T("choose_highlighted", S.READING_CARD),  # effect: AppChosen
        I.F1: T("highlight_previous", S.APP_CHOICE),
        I.F2: T("highlight_next", S.APP_CHOICE),
        I.F3: T("ignore", S.APP_CHOICE),
        I.F4: T("ignore", S.APP_CHOICE),
        I.TICK: T("ignore", S.APP_CHOICE),
        I.CARD_PRESENTED: T("ignore", S.APP_CHOICE),
        I.APPS_OFFERED: T("out_of_sequence", S.APP_CHOICE),
        I.PIN_REQUESTED: T("out_of_sequence", S.APP_CHOICE),
        I.RISK_QUESTION: T("out_of_sequence", S.APP_CHOICE),
        I.REQUEST_SENT: T("out_of_sequence", S.APP_CHOICE),
        I.OUTCOME_RECEIVED: T("show_outcome", S.RESULT),  # e.g. card removed
    },
    S.PIN_ENTRY: {
        I.DIGIT: T("pin_digit", S.PIN_ENTRY),  # to the PIN pad; refused past 12
        I.CLEAR: T("pin_remove", S.PIN_ENTRY),  # one digit; nothing when empty
        I.CANCEL: T("open_cancel_confirm", S.CANCEL_CONFIRM),
        I.ENTER: T("pin_complete", S.READING_CARD),  # effect: PinComplete; refused under 4
        I.F1: T("ignore", S.PIN_ENTRY),
        I.F2: T("ignore", S.PIN_ENTRY),
        I.F3: T("ignore", S.PIN_ENTRY),
        I.F4: T("ignore", S.PIN_ENTRY),
        I.TICK: T("ignore", S.PIN_ENTRY),
        I.CARD_PRESENTED: T("ignore", S.PIN_ENTRY),
        I.APPS_OFFERED: T("out_of_sequence", S.PIN_ENTRY),
        I.PIN_REQUESTED: T("out_of_sequence", S.PIN_ENTRY),
        I.RISK_QUESTION: T("out_of_sequence", S.PIN_ENTRY),
        I.REQUEST_SENT: T("out_of_sequence", S.PIN_ENTRY),
        I.OUTCOME_RECEIVED: T("show_outcome", S.RESULT),  # e.g. card removed; the PIN pad is wiped
    },
    S.RISK_CONFIRM: {
        I.DIGIT: T("answer_no", S.READING_CARD),  # effect: RiskAnswered(no); no is the default
        I.CLEAR: T("answer_no", S.READING_CARD),
        I.CANCEL: T("answer_no", S.READING_CARD),
        I.ENTER: T("answer_yes", S.READING_CARD),  # effect: RiskAnswered(yes), journaled as a confirmation
        I.F1: T("answer_no", S.READING_CARD),
        I.F2: T("answer_no", S.READING_CARD),
        I.F3: T("answer_no", S.READING_CARD),
        I.F4: T("answer_no", S.READING_CARD),
        I.TICK: T("ignore", S.RISK_CONFIRM),  # the sale waits: silence never charges a card twice
        I.CARD_PRESENTED: T("ignore", S.RISK_CONFIRM),
        I.APPS_OFFERED: T("out_of_sequence", S.RISK_CONFIRM),
        I.PIN_REQUESTED: T("out_of_sequence", S.RISK_CONFIRM),
        I.RISK_QUESTION: T("out_of_sequence", S.RISK_CONFIRM),
        I.REQUEST_SENT: T("out_of_sequence", S.RISK_CONFIRM),
        I.OUTCOME_RECEIVED: T("show_outcome", S.RESULT),  # e.g. the card was removed
    },
    S.PROCESSING: {
        I.DIGIT: T("ignore", S.PROCESSING),
        I.CLEAR: T("ignore", S.PROCESSING),
        I.CANCEL: T("open_abort_confirm", S.ABORT_CONFIRM),  # refused once a reversal is requested
        I.ENTER: T("ignore", S.PROCESSING),
        I.F1: T("ignore", S.PROCESSING),
        I.F2: T("ignore", S.PROCESSING),
        I.F3: T("ignore", S.PROCESSING),
        I.F4: T("ignore", S.PROCESSING),
        I.TICK: T("ignore", S.PROCESSING),
        I.CARD_PRESENTED: T("ignore", S.PROCESSING),
        I.APPS_OFFERED: T("out_of_sequence", S.PROCESSING),
        I.PIN_REQUESTED: T("out_of_sequence", S.PROCESSING),
        I.RISK_QUESTION: T("out_of_sequence", S.PROCESSING),
        I.REQUEST_SENT: T("ignore", S.PROCESSING),  # a repeat (0200 resent) changes nothing
        I.OUTCOME_RECEIVED: T("show_outcome", S.RESULT),
    },
    S.RESULT: {
        I.DIGIT: T("start_amount", S.AMOUNT_ENTRY),  # the next sale
        I.CLEAR: T("ignore", S.RESULT),
        I.CANCEL: T("finish", S.IDLE),
        I.ENTER: T("finish", S.IDLE),
        I.F1: T("new_amount", S.AMOUNT_ENTRY),
        I.F2: T("ignore", S.RESULT),
        I.F3: T("ignore", S.RESULT),
        I.F4: T("ignore", S.RESULT),
        I.TICK: T("finish_if_shown_long", S.IDLE),  # refused until result_timeout_s after it was shown
        I.CARD_PRESENTED: T("amount_first", S.RESULT),
        I.APPS_OFFERED: T("out_of_sequence", S.RESULT),
        I.PIN_REQUESTED: T("out_of_sequence", S.RESULT),
        I.RISK_QUESTION: T("out_of_sequence", S.RESULT),
        I.REQUEST_SENT: T("out_of_sequence", S.RESULT),
        I.OUTCOME_RECEIVED: T("out_of_sequence", S.RESULT),
    },
    S.CANCEL_CONFIRM: {
        I.DIGIT: T("dismiss", BACK),
        I.CLEAR: T("dismiss", BACK),
        I.CANCEL: T("dismiss", BACK),
        I.ENTER: T("cancel_sale", S.IDLE),  # effect: Cancelled
        I.F1: T("dismiss", BACK),
        I.F2: T("dismiss", BACK),
        I.F3: T("dismiss", BACK),
        I.F4: T("dismiss", BACK),
        I.TICK: T("dismiss_if_silent", BACK),  # refused until confirm_timeout_s of silence
        I.CARD_PRESENTED: T("dismiss_then_handle", BACK),
        I.APPS_OFFERED: T("dismiss_then_handle", BACK),
        I.PIN_REQUESTED: T("dismiss_then_handle", BACK),
        I.RISK_QUESTION: T("dismiss_then_handle", BACK),
        I.REQUEST_SENT: T("dismiss_then_handle", BACK),
        I.OUTCOME_RECEIVED: T("dismiss_then_handle", BACK),
    },
    S.ABORT_CONFIRM: {
        I.DIGIT: T("dismiss", BACK),
        I.CLEAR: T("dismiss", BACK),
        I.CANCEL: T("dismiss", BACK),
        I.ENTER: T("request_reversal", S.PROCESSING),  # effect: ReversalRequested; still waits for the host
        I.F1: T("dismiss", BACK),
        I.F2: T("dismiss", BACK),
        I.F3: T("dismiss", BACK),
        I.F4: T("dismiss", BACK),
        I.TICK: T("dismiss_if_silent", BACK),
        I.CARD_PRESENTED: T("ignore", S.ABORT_CONFIRM),
        I.APPS_OFFERED: T("out_of_sequence", S.ABORT_CONFIRM),
        I.PIN_REQUESTED: T("out_of_sequence", S.ABORT_CONFIRM),
        I.RISK_QUESTION: T("out_of_sequence", S.ABORT_CONFIRM),
        I.REQUEST_SENT: T("ignore", S.ABORT_CONFIRM),
        I.OUTCOME_RECEIVED: T("show_outcome", S.RESULT),  # the host answered first: show what it said
    },
}
