"""The sale core: one financial transaction (purchase, refund, void) as a sans-I/O state machine.

`SaleCore.handle(event, now) -> effects`. The core never touches a card, a socket, the journal or a screen: the
driver loop (terminal/txn/loop.py) performs each effect and feeds back what happened as the next event. Every
(phase, event) pair is a row of `TABLE`; a pair that is not there is a defect of the driver and raises
`SequenceError`. docs/txn.md renders the table (`python -m terminal.txn.doc`) and a test checks the two agree.

A sale, as the table runs it:

    WAIT_CARD --Swiped/CardKnown--------------------------> RISK         (swipe, or card data already known)
    WAIT_CARD --ChipPresented--> KERNEL --CardAnswered...--> RISK         (the kernel asked to go online)
                                 KERNEL --CardAnswered-----> DONE         (offline decline, abort)
                                 KERNEL --CardAnswered-----> RISK         (offline approval, before it is recorded)
    RISK --RiskLooked--> CHECKPOINT                                       (no rule fired, or each was overridden)
    RISK --RiskLooked--> ASKING --OperatorAnswered--> CHECKPOINT          (duplicate charge: ENTER; supervisor PIN)
    RISK/ASKING --> DONE                                                  (declined by a rule, or 'no': nothing sent)
    CHECKPOINT --OperatorSettled--> CLEARING --Cleared--> WRITING_AHEAD --Committed--> AWAIT_HOST
    AWAIT_HOST --HostReplied--> DONE                                      (swipe)
    AWAIT_HOST --HostReplied--> COMPLETING --CardAnswered...--> DONE      (chip: second GENERATE AC)
    COMPLETING --> PRESENT_AGAIN --CardPresentedAgain--> COMPLETING      (qVSDC issuer update: a second tap)
    PRESENT_AGAIN --CardNotPresentedAgain--> DONE                        (the host's decision stands)

Two rules no path may break: nothing is sent once the operator cancelled before the request left; after it
left, a cancel is a reversal (reason 17) of an approval, never a silent drop. And a third: the risk rules
(terminal/risk, docs/risk.md) see every card before its row is written ahead, whichever way it was read.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Callable

from terminal.card import mask_pan
from terminal.card.chip_first import ChipFirstConfig, FallbackStore, SwipedTracks, card_key
from terminal.config import Config
from terminal.emv.apdu import Command
from terminal.emv.issuer import HostResponse
from terminal.emv.kernel import (ApplicationChoice, EmvKernel, Finished, OnlineRequest, PinPrompt, PresentCardAgain,
                                 Step)
from terminal.emv.outcome import Decision, Outcome
from terminal.i18n.reasons import card_reason
from terminal.i18n.text import N_
from terminal.iso8583 import encode
from terminal.iso8583.builders import PURCHASE, REFUND, VOID, Original, Terminal, field7, request_0200
from terminal.keypad.inputs import CardPresented, RequestSent
from terminal.risk import rules as risk_rules
from terminal.risk.cardhash import card_hash, derived_key
from terminal.store.states import TxnState
from terminal.txn.clock import Instant
from terminal.txn.exchange import Answered, NotSent, Reply, Request
from terminal.txn.records import CardInput
from terminal.txn.verdict import (REVERSAL_CANCELLED, REVERSAL_CANNOT_COMPLETE, Verdict, from_response,
                                  no_response, not_sent)

KINDS = {"purchase": PURCHASE, "refund": REFUND, "void": VOID}
UNKNOWN_OUTCOME_ARC = "68"   # what the card is told when the host's answer never came: not approved
CANCELLED_ARC = "17"         # what the card is told when the operator cancelled an approved sale
CANCEL_LINE = N_("CANCELLED: sale reversed, customer not charged")
CARD_DECLINED_LINE = N_("DECLINED BY CARD: sale reversed, customer not charged")


class Phase(Enum):
    WAIT_CARD = "waiting for the card"
    KERNEL = "chip: kernel running"
    RISK = "risk rules: the journal consulted"
    ASKING = "risk rules: the operator or supervisor asked"
    CHECKPOINT = "operator checkpoint before sending"
    CLEARING = "clearing earlier reversals"
    WRITING_AHEAD = "writing ahead"
    AWAIT_HOST = "waiting for the host"
    COMPLETING = "chip: completing with the host's answer"
    PRESENT_AGAIN = "contactless: waiting for the card again for the issuer update"
    DONE = "done"


class SequenceError(RuntimeError):
    """The driver fed an event the core cannot get in this phase: a defect of the driver, never the operator."""


# ---- events: what happened -------------------------------------------------------------------------------
@dataclass(frozen=True)
class CardKnown:
    """Card data is already in hand (a void names its original; tests and benchmarks)."""
    card: CardInput


@dataclass(frozen=True)
class Swiped:
    tracks: SwipedTracks = field(repr=False)


@dataclass(frozen=True)
class ChipPresented:
    contactless: bool
    sequence_counter: int = 1        # 9F41, from the journal's counter


@dataclass(frozen=True)
class CardAnswered:
    raw: bytes = field(repr=False)


@dataclass(frozen=True)
class CardFault:
    reason: str                      # card removed, reader gone, garbage from the reader


@dataclass(frozen=True)
class CardPresentedAgain:
    """The card is back in the field for the issuer's data (Book C-3 issuer update processing)."""


@dataclass(frozen=True)
class CardNotPresentedAgain:
    reason: str                      # no card within the reader's card timeout, the operator cancelled, ...


@dataclass(frozen=True)
class PinEntered:
    block: bytes | None = field(repr=False)   # what the PinPrompt asked for; None: no PIN entered


@dataclass(frozen=True)
class ApplicationChosen:
    index: int | None                # None: nobody chose


@dataclass(frozen=True)
class OperatorCancelled:
    """CANCEL then ENTER on the keypad."""


@dataclass(frozen=True)
class OperatorSettled:
    cancelled: bool                  # the keypad's answer at the checkpoint


@dataclass(frozen=True)
class Cleared:
    reversals_pending: int
    blocking_stan: int | None = None
    error: str = ""


@dataclass(frozen=True)
class Committed:
    row_id: int
    stan: int
    batch: int


@dataclass(frozen=True)
class HostReplied:
    reply: Reply


@dataclass(frozen=True)
class RiskLooked:
    """What the journal says about the card's recent sales (by keyed hash) and the day's refunds."""
    facts: risk_rules.Facts


@dataclass(frozen=True)
class OperatorAnswered:
    yes: bool                        # ENTER at the question; the supervisor's PIN matched


Event = (CardKnown | Swiped | ChipPresented | CardAnswered | CardFault | CardPresentedAgain | CardNotPresentedAgain
         | PinEntered | ApplicationChosen | OperatorCancelled | OperatorSettled | Cleared | Committed | HostReplied | RiskLooked | OperatorAnswered)


# ---- effects: what the driver must do -----------------------------------------------------------------------
@dataclass(frozen=True)
class AwaitCard:
    """Wait for the card (chip, tap or swipe) and report it."""


@dataclass(frozen=True)
class AwaitCardAgain:
    """Show `message` ('PRESENT CARD AGAIN') and wait for the card to come back into the field (the reader's
    card timeout); report CardPresentedAgain, or CardNotPresentedAgain."""
    message: str


@dataclass(frozen=True)
class Annotate:
    """Add a fact to the row's history that changes no state (what the issuer update delivered)."""
    row_id: int
    note: str


@dataclass(frozen=True)
class Transmit:
    name: str
    apdu: bytes = field(repr=False)


@dataclass(frozen=True)
class PromptPin:
    prompt: PinPrompt


@dataclass(frozen=True)
class PromptApplication:
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Notify:
    """Tell the operator's keypad what the sale is doing (CardPresented, RequestSent)."""
    event: CardPresented | RequestSent


@dataclass(frozen=True)
class LookUpRisk:
    """Read the card's recent transactions (by keyed hash) since `since` (UTC ISO) and the refunds since
    `day_start` (local ISO): a read, no commit."""
    card_hash: str
    since: str
    day_start: str


@dataclass(frozen=True)
class AskOperator:
    """A risk rule fired that a person may override: ask (ENTER = yes, anything else = no, the default), or
    take the supervisor's PIN on the keypad; report OperatorAnswered."""
    rule: str
    title: str
    value: str
    supervisor: bool


@dataclass(frozen=True)
class SettleOperator:
    """Handle the keys typed so far; an open cancel confirmation is answered before anything is sent."""


@dataclass(frozen=True)
class ClearReversals:
    """Deliver pending reversals now: none may be overtaken by this request."""


@dataclass(frozen=True)
class WriteAhead:
    """Commit the row (state 'sending') before the request may leave; report its id and STAN."""
    kind: str
    proc_code: str
    amount: int
    local_time: object
    transmitted: str         # field 7 of the request, written ahead so a reversal can name it (field 90)
    entry_mode: str
    masked_pan: str
    psn: str | None
    original_id: int | None
    sequence_counter: int | None
    card_hash: str | None = None                 # rides in the write-ahead commit (store/risk.py)
    risk: tuple[tuple[str, str, str], ...] = ()  # (rule, decision, detail) journaled with the row


@dataclass(frozen=True)
class RecordEnded:
    """A row that starts in its final state: declined by the chip offline, or not sent."""
    kind: str
    proc_code: str
    amount: int
    local_time: object
    entry_mode: str
    masked_pan: str
    psn: str | None
    state: str
    reason: str
    message: str
    sequence_counter: int | None
    card_hash: str | None = None
    risk: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class RecordOfflineApproval:
    """A chip's offline approval (Y1) with its sealed advice, one commit."""
    kind: str
    proc_code: str
    amount: int
    local_time: object
    card: CardInput = field(repr=False)
    chip_code: str
    message: str
    sequence_counter: int | None
    card_hash: str | None = None
    risk: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Send:
    request: Request = field(repr=False)
    timeout_s: float


@dataclass(frozen=True)
class Conclude:
    row_id: int
    verdict: Verdict = field(repr=False)
    voids: int | None                # a void's approval marks its original voided in the same commit


@dataclass(frozen=True)
class Reverse:
    """Queue the reversal in the same commit as the state change, then try to deliver it at once."""
    row_id: int
    reason_code: str
    why: str
    message: str


@dataclass(frozen=True)
class GoOffline:
    """Chip: unable to go online and the card approved (Y3): the sale's row becomes an offline approval."""
    chip_code: str
    card: CardInput = field(repr=False)
    message: str


@dataclass(frozen=True)
class RecordChipFailure:
    """A technical chip failure of this card: opens the way to its magstripe fallback (chip-first rules)."""
    card_key: str | None


@dataclass(frozen=True)
class Finish:
    """The sale is over. The driver knows the sale's row, if one was written (Committed, or a Record*
    effect); `outcome` names the ending of a sale that wrote none (refused swipe, card error, cancelled)."""
    message: str
    outcome: str | None = None       # for row-less endings: not_sent, cancelled
    device_error: bool = False
    reason: str = ""


Effect = (AwaitCard | AwaitCardAgain | Annotate | Transmit | PromptPin | PromptApplication | Notify | LookUpRisk | AskOperator
          | SettleOperator | ClearReversals | WriteAhead | RecordEnded | RecordOfflineApproval | Send | Conclude
          | Reverse | GoOffline | RecordChipFailure | Finish)


# ---- the table: phase -> event -> (action, next phase) ------------------------------------------------------
@dataclass(frozen=True)
class Row:
    action: str
    next: Phase | None   # None: the action decides (it returns the phase)


P = Phase
TABLE: dict[Phase, dict[type, Row]] = {
    P.WAIT_CARD: {
        CardKnown: Row("take_known_card", None),               # RISK (CHECKPOINT for a void)
        Swiped: Row("take_swipe", None),                       # RISK, or DONE when refused
        ChipPresented: Row("start_kernel", None),                # KERNEL (DONE if the card fails at once)
        CardFault: Row("end_card_fault", P.DONE),
        OperatorCancelled: Row("end_cancelled", P.DONE),
    },
    P.KERNEL: {
        CardAnswered: Row("kernel_card_answer", None),         # KERNEL, RISK or DONE
        CardFault: Row("kernel_card_fault", None),
        PinEntered: Row("kernel_pin", None),
        ApplicationChosen: Row("kernel_application", None),
        OperatorCancelled: Row("end_cancelled", P.DONE),       # nothing sent yet: a clean cancel
    },
    P.RISK: {
        RiskLooked: Row("apply_risk", None),                   # CHECKPOINT, ASKING, or DONE when declined
        OperatorCancelled: Row("end_cancelled", P.DONE),
    },
    P.ASKING: {
        OperatorAnswered: Row("after_answer", None),           # CHECKPOINT, ASKING again, or DONE on 'no'
        OperatorCancelled: Row("end_cancelled", P.DONE),
    },
    P.CHECKPOINT: {
        OperatorSettled: Row("after_checkpoint", None),        # CLEARING, or DONE when cancelled
        OperatorCancelled: Row("end_cancelled", P.DONE),
    },
    P.CLEARING: {
        Cleared: Row("after_clearing", None),                  # WRITING_AHEAD, or not sent
        OperatorCancelled: Row("end_cancelled", P.DONE),
    },
    P.WRITING_AHEAD: {
        Committed: Row("send_request", P.AWAIT_HOST),
    },
    P.AWAIT_HOST: {
        OperatorCancelled: Row("note_cancel", P.AWAIT_HOST),   # reversed once the answer is in, if approved
        HostReplied: Row("conclude", None),                    # DONE, or COMPLETING for a chip
    },
    P.COMPLETING: {
        CardAnswered: Row("complete_card_answer", None),
        CardFault: Row("complete_card_fault", None),
        OperatorCancelled: Row("note_cancel", P.COMPLETING),   # too late: the outcome is decided
    },
    P.PRESENT_AGAIN: {
        CardPresentedAgain: Row("kernel_presented_again", None),      # COMPLETING: the issuer's commands
        CardNotPresentedAgain: Row("kernel_not_presented_again", None),  # DONE as the host answered
        OperatorCancelled: Row("note_cancel", P.PRESENT_AGAIN),      # an approval is reversed at the end
    },
    P.DONE: {
        OperatorCancelled: Row("ignore", P.DONE),
    },
}


class SaleCore:
    """One transaction. `fallbacks` is read (never written) to apply the chip-first rules to a swipe."""

    def __init__(self, cfg: Config, kind: str, amount: int, *, emv: object | None = None,
                 fallbacks: FallbackStore | None = None, original: object | None = None,
                 chip_first: ChipFirstConfig = ChipFirstConfig(),
                 interactive_choice: bool = False, pin_entry: bool = False,
                 unpredictable: Callable[[], bytes] | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"transaction kind {kind!r}: expected one of {', '.join(KINDS)}")
        self.cfg, self.kind, self.amount = cfg, kind, amount
        self.phase = Phase.WAIT_CARD
        self.emv = emv                       # terminal.emv.config.EmvTerminalData override (provisioning)
        self.fallbacks = fallbacks
        self.original = original             # the TxnRow a void names
        self.chip_first = chip_first
        self.interactive_choice = interactive_choice
        self.pin_entry = pin_entry           # a PIN pad (or the operator's keypad) can take a PIN
        self.unpredictable = unpredictable
        self.card: CardInput | None = None
        self.kernel: EmvKernel | None = None
        self.outcome: Outcome | None = None  # the chip's last word
        self.sequence_counter: int | None = None
        self.started: Instant | None = None
        self.row_id: int | None = None
        self.stan: int | None = None
        self.verdict: Verdict | None = None
        self.cancel_requested = False
        self._unsent_recorded = False
        self.finished: Finish | None = None
        self.policy = cfg.risk
        self._hash_key = self.policy.hash_key or derived_key(cfg.keys.data_key)
        self.card_hash: str | None = None
        self.risk_notes: list[tuple[str, str, str]] = []      # (rule, decision, detail), journaled with the row
        self._findings: list[risk_rules.Finding] = []
        self._asking: risk_rules.Finding | None = None
        self._resume: Callable[[], tuple[list[Effect], Phase]] | None = None
        self._listed: risk_rules.Finding | None = None       # the kernel found the card on the exception file
        self._absent = ""                                     # why the card was not presented again

    def start(self, now: Instant) -> list[Effect]:
        self.started = now
        return [AwaitCard()]

    def handle(self, event: Event, now: Instant) -> list[Effect]:
        row = TABLE[self.phase].get(type(event))
        if row is None:
            raise SequenceError(f"sale core: {type(event).__name__} cannot happen while {self.phase.value}")
        if row.action == "ignore":
            return []
        result = getattr(self, f"_{row.action}")(event, now)
        effects, phase = result if isinstance(result, tuple) else (result, row.next)
        assert phase is not None, row.action
        self.phase = phase
        for effect in effects:
            if isinstance(effect, Finish):
                self.finished = effect
        return effects

    # ---- card -------------------------------------------------------------------------------------------
    def _take_known_card(self, event: CardKnown, now: Instant):
        self.card = event.card
        return self._gate(_pan_of(event.card), self._to_checkpoint, now)

    def _take_swipe(self, event: Swiped, now: Instant):
        from terminal.card.swipe import tracks_to_card_data
        if self.fallbacks is None:
            raise SequenceError("sale core: a swipe needs the fallback store for the chip-first rules")
        data = tracks_to_card_data(event.tracks, self.fallbacks, self.chip_first, now.local.date())
        if not data.decision.allowed or data.track2 is None:
            return [Finish(data.decision.operator_line, "not_sent", device_error=True,
                           reason=data.decision.reason)], P.DONE
        t2 = data.track2
        self.card = CardInput(entry_mode=data.decision.entry_mode or "901", masked_pan=mask_pan(t2.pan),
                              track2=t2.as_field35())
        effects, phase = self._gate(t2.pan, self._to_checkpoint, now)
        return [Notify(CardPresented()), *effects], phase

    def _end_card_fault(self, event: CardFault, now: Instant) -> list[Effect]:
        return [Finish(N_("CARD ERROR: {reason}", reason=card_reason(event.reason)), "not_sent", device_error=True, reason=event.reason)]

    def _end_cancelled(self, event: OperatorCancelled, now: Instant) -> list[Effect]:
        return [Finish(N_("CANCELLED: nothing sent"), "cancelled")]

    # ---- the EMV kernel -----------------------------------------------------------------------------------
    def _start_kernel(self, event: ChipPresented, now: Instant) -> list[Effect]:
        from terminal.emv.config import Transaction
        from terminal.txn.emv_params import emv_config
        self.sequence_counter = event.sequence_counter
        config = self.emv or emv_config(self.cfg, event.contactless)
        if self.emv is not None and event.contactless != config.contactless_interface:
            config = replace(config, contactless_interface=event.contactless)
        # 9A and 9F21 are the terminal's local date and time, from the same instant as fields 12 and 13.
        txn = Transaction(amount=self.amount, transaction_type=0x20 if self.kind == "refund" else 0x00,
                          sequence_counter=event.sequence_counter, now=now.local,
                          unpredictable=self.unpredictable, on_exception_file=self._on_exception_file)
        self.kernel = EmvKernel(config, txn, pin_entry=self.pin_entry, interactive_choice=self.interactive_choice)
        effects, phase = self._kernel_step(self.kernel.start(), P.KERNEL)
        return [Notify(CardPresented()), *effects], phase

    def _kernel_step(self, step: Step, running: Phase) -> tuple[list[Effect], Phase]:
        """Effects for the kernel's next step: a command for the card, a prompt, or its decision. `running` is
        the phase the kernel runs in: KERNEL before going online, COMPLETING after."""
        if isinstance(step, Command):
            return [Transmit(step.name, step.apdu)], running
        if isinstance(step, PinPrompt):
            return [PromptPin(step)], running
        if isinstance(step, ApplicationChoice):
            return [PromptApplication(step.labels)], running
        if isinstance(step, PresentCardAgain):
            return [AwaitCardAgain(N_("PRESENT CARD AGAIN"))], P.PRESENT_AGAIN
        self.outcome = step.outcome
        if isinstance(step, OnlineRequest):
            self.card = _card_of(step.outcome, step.outcome.field55_request)
            return self._gate(step.outcome.pan or "", self._to_checkpoint, None)
        assert isinstance(step, Finished)
        if running is P.KERNEL and step.outcome.decision is Decision.OFFLINE_APPROVED:
            # The card approved offline: the rules still see it before the approval is recorded.
            return self._gate(step.outcome.pan or "", lambda: (self._offline_end(step.outcome), P.DONE), None)
        return (self._offline_end(step.outcome) if running is P.KERNEL else self._online_end(step.outcome)), P.DONE

    def _kernel_card_answer(self, event: CardAnswered, now: Instant):
        return self._kernel_step(self.kernel.card_response(event.raw), P.KERNEL)

    def _kernel_card_fault(self, event: CardFault, now: Instant):
        return self._kernel_step(self.kernel.card_error(event.reason), P.KERNEL)

    def _kernel_pin(self, event: PinEntered, now: Instant):
        return self._kernel_step(self.kernel.pin_entered(event.block), P.KERNEL)

    def _kernel_application(self, event: ApplicationChosen, now: Instant):
        return self._kernel_step(self.kernel.application_chosen(event.index), P.KERNEL)

    def _offline_end(self, outcome: Outcome) -> list[Effect]:
        """The card decided without the host: approved (Y1), declined (Z1), or the read aborted."""
        proc, cur = KINDS[self.kind], self.started
        if outcome.decision is Decision.OFFLINE_APPROVED:
            card = replace(_card_of(outcome, outcome.field55_advice or outcome.field55_request), pan=outcome.pan,
                           expiry=outcome.expiry)
            return [RecordOfflineApproval(self.kind, proc, self.amount, cur.local, card,
                                          outcome.chip_response_code or "Y1", N_("APPROVED (OFFLINE)"),
                                          self.sequence_counter, self.card_hash, tuple(self.risk_notes)),
                    Finish(N_("APPROVED (OFFLINE)"))]
        if outcome.decision in (Decision.OFFLINE_DECLINED, Decision.UNABLE_ONLINE_DECLINED):
            reason = f"declined offline by the chip ({outcome.chip_response_code}): {outcome.reason}"
            if self._listed is not None:   # TVR byte 1 bit 5 set by the kernel: the terminal action codes declined
                self.risk_notes.append((self._listed.rule, "declined", self._listed.detail))
                reason += f"; {self._listed.detail} (TVR: card appears on terminal exception file)"
            hashed = card_hash(outcome.pan, self._hash_key) if outcome.pan else None
            return [RecordEnded(self.kind, proc, self.amount, cur.local, outcome.entry_mode,
                                mask_pan(outcome.pan or ""), outcome.psn or None, TxnState.DECLINED,
                                reason, N_("DECLINED BY CARD"), self.sequence_counter, hashed, tuple(self.risk_notes)),
                    Finish(N_("DECLINED BY CARD"))]
        effects: list[Effect] = []
        if "blocked" not in outcome.reason:   # a blocked application opens no fallback
            key = card_key(outcome.pan, self.chip_first.card_key_secret) if outcome.pan else None
            effects.append(RecordChipFailure(key))
        return effects + [Finish(N_("CARD ERROR: {reason}", reason=card_reason(outcome.reason)), "not_sent", device_error=True,
                                 reason=outcome.reason)]

    # ---- the risk rules (terminal/risk): before anything is written ahead or recorded ------------------------
    def _gate(self, pan: str, resume: Callable[[], tuple[list[Effect], Phase]], now: Instant | None):
        """Look the card up (by keyed hash) and run the rules; `resume` is how the sale goes on once they
        let it. A void (it names its original) and a card that gave no PAN skip the card rules."""
        if self.kind == "void" or not pan:
            return resume()
        now = now or self.started
        self.card_hash = card_hash(pan, self._hash_key)
        self._sale = risk_rules.Sale(self.kind, self.amount, self.card_hash, pan, now.utc)
        self._resume = resume
        since = now.utc - dt.timedelta(seconds=self.policy.longest_window_s)
        midnight = now.local.replace(hour=0, minute=0, second=0, microsecond=0)
        return [LookUpRisk(self.card_hash, since.isoformat(timespec="milliseconds"), midnight.isoformat())], P.RISK

    def _to_checkpoint(self) -> tuple[list[Effect], Phase]:
        return [SettleOperator()], P.CHECKPOINT

    def _on_exception_file(self, pan: str) -> bool:
        """The kernel's terminal risk management asks (EMV Book 4): sets TVR byte 1 bit 5 when listed."""
        hashed = card_hash(pan, self._hash_key)
        self._listed = risk_rules.exception_file(self.policy, risk_rules.Sale(self.kind, self.amount, hashed, pan),
                                                 risk_rules.Facts())
        return self._listed is not None

    def _apply_risk(self, event: RiskLooked, now: Instant):
        facts = replace(event.facts, floor_limit=event.facts.floor_limit or self.cfg.limits.floor_limit)
        self._findings = risk_rules.assess(self.policy, self._sale, facts)
        return self._next_finding()

    def _next_finding(self):
        while self._findings:
            found = self._findings.pop(0)
            if found.action == risk_rules.DECLINE:
                return self._risk_refused(found, "declined", TxnState.DECLINED)
            if found.action == risk_rules.IN_DOUBT:
                return self._risk_refused(found, "in_doubt", TxnState.NOT_SENT)
            self._asking = found
            return [AskOperator(found.rule, found.title, found.value,
                                found.action == risk_rules.SUPERVISOR)], P.ASKING
        return self._resume()

    def _after_answer(self, event: OperatorAnswered, now: Instant):
        found = self._asking
        who = "supervisor" if found.action == risk_rules.SUPERVISOR else "operator"
        if not event.yes:
            return self._risk_refused(found, f"refused by the {who}", TxnState.DECLINED)
        self.risk_notes.append((found.rule, f"confirmed by the {who}", found.detail))
        return self._next_finding()

    def _risk_refused(self, found: risk_rules.Finding, decision: str, state: TxnState):
        """The sale stops at the terminal: nothing is sent; its row says which rule and why."""
        self.risk_notes.append((found.rule, decision, found.detail))
        card, outcome = self.card, self.outcome
        entry = card.entry_mode if card else outcome.entry_mode
        masked = card.masked_pan if card else mask_pan(outcome.pan or "")
        psn = card.psn if card else (outcome.psn or None)
        tvr = " (TVR: card appears on terminal exception file)" if self._listed is not None else ""
        record = RecordEnded(self.kind, KINDS[self.kind], self.amount, self.started.local, entry, masked, psn,
                             state, f"risk {found.rule}: {found.detail}{tvr} ({decision}); nothing sent",
                             found.refused_line, self.sequence_counter, self.card_hash, tuple(self.risk_notes))
        return [record, Finish(found.refused_line)], P.DONE

    # ---- going online -----------------------------------------------------------------------------------
    def _after_checkpoint(self, event: OperatorSettled, now: Instant):
        if event.cancelled:
            return self._end_cancelled(OperatorCancelled(), now), P.DONE
        return [ClearReversals()], P.CLEARING

    def _after_clearing(self, event: Cleared, now: Instant):
        if event.reversals_pending:
            stan = f" of STAN {event.blocking_stan:06d}" if event.blocking_stan is not None else ""
            line = (N_("NOT SENT: reversal of STAN {stan} still waiting for the host", stan=f"{event.blocking_stan:06d}")
                    if event.blocking_stan is not None else N_("NOT SENT: reversal still waiting for the host"))
            reason = f"an earlier reversal{stan} is still pending ({event.error}): nothing sent"
            return self._not_sent(reason, line, recorded=False)
        card = self.card
        return [WriteAhead(self.kind, KINDS[self.kind], self.amount, self.started.local, field7(now.utc),
                           card.entry_mode, card.masked_pan, card.psn,
                           self.original.id if self.original is not None else None,
                           self.sequence_counter, self.card_hash, tuple(self.risk_notes))], P.WRITING_AHEAD

    def _send_request(self, event: Committed, now: Instant) -> list[Effect]:
        self.row_id, self.stan = event.row_id, event.stan
        card = self.card
        original = Original(KINDS[self.kind], self.amount, event.stan, self.started.local, card.entry_mode,
                            event.batch, field7(now.utc), card.psn)
        fields = request_0200(_terminal_of(self.cfg), original, now.utc, track2=card.track2, pan=card.pan,
                              expiry=card.expiry, icc=card.icc, pin_block=card.pin_block,
                              original_rrn=self.original.rrn if self.original is not None else None)
        request = Request("0200", f"{event.stan:06d}", encode("0200", fields, self.cfg.keys.mac_key))
        return [Notify(RequestSent()), Send(request, self.cfg.host.timeout_s)]

    def _note_cancel(self, event: OperatorCancelled, now: Instant) -> list[Effect]:
        self.cancel_requested = True
        return []

    def _not_sent(self, reason: str, line: str, *, recorded: bool):
        """Nothing left the terminal. A chip is told 'unable to go online' and may still approve offline
        (Y3); otherwise the sale ends 'not sent' for chip and swipe alike: the customer was not charged. The
        journal line waits for the chip's word, so it can say what the card decided."""
        self.verdict = Verdict(TxnState.NOT_SENT, reason, line)
        self._unsent_recorded = recorded
        if self.kernel is None:
            return [self._record_not_sent(reason), Finish(line)], P.DONE
        return self._kernel_step(self.kernel.host_response(None), P.COMPLETING)

    def _record_not_sent(self, reason: str) -> Effect:
        v = replace(self.verdict, reason=reason)
        if self._unsent_recorded:
            return Conclude(self.row_id, v, None)
        card = self.card
        return RecordEnded(self.kind, KINDS[self.kind], self.amount, self.started.local, card.entry_mode,
                           card.masked_pan, card.psn, TxnState.NOT_SENT, reason, v.message, self.sequence_counter,
                           self.card_hash, tuple(self.risk_notes))

    def _conclude(self, event: HostReplied, now: Instant):
        reply = event.reply
        if isinstance(reply, NotSent):
            verdict = not_sent(reply.why)
            return self._not_sent(verdict.reason, verdict.message, recorded=True)
        verdict = from_response(reply.message) if isinstance(reply, Answered) else no_response(reply.why)
        self.verdict = verdict
        voids = self.original.id if (self.kind == "void" and verdict.state is TxnState.APPROVED
                                     and self.original is not None) else None
        effects = [Conclude(self.row_id, verdict, voids)]
        if verdict.reversal:
            effects.append(Reverse(self.row_id, verdict.reversal, verdict.reason, verdict.message))
        cancel = self.cancel_requested and verdict.state is TxnState.APPROVED
        if cancel and self.kernel is None:
            effects.append(Reverse(self.row_id, REVERSAL_CANCELLED, "operator cancelled after the request was sent",
                                   CANCEL_LINE))
        if self.kernel is None:
            return effects + [Finish(CANCEL_LINE if cancel else verdict.message)], P.DONE
        # The card hears the host's answer, unless the sale is being reversed: then it is told 'not approved'.
        if verdict.reversal:
            host = HostResponse(UNKNOWN_OUTCOME_ARC)
        elif cancel:
            host = HostResponse(CANCELLED_ARC)
        else:
            host = HostResponse(verdict.response_code or "", verdict.issuer_data)
        step_effects, phase = self._kernel_step(self.kernel.host_response(host), P.COMPLETING)
        return effects + step_effects, phase

    # ---- the chip's final word ----------------------------------------------------------------------------
    def _complete_card_answer(self, event: CardAnswered, now: Instant):
        return self._kernel_step(self.kernel.card_response(event.raw), P.COMPLETING)

    def _complete_card_fault(self, event: CardFault, now: Instant):
        return self._kernel_step(self.kernel.card_error(event.reason), P.COMPLETING)

    def _kernel_presented_again(self, event: CardPresentedAgain, now: Instant):
        return self._kernel_step(self.kernel.card_presented_again(True), P.COMPLETING)

    def _kernel_not_presented_again(self, event: CardNotPresentedAgain, now: Instant):
        self._absent = event.reason
        return self._kernel_step(self.kernel.card_presented_again(False), P.COMPLETING)

    def _online_end(self, outcome: Outcome) -> list[Effect]:
        """The journal keeps what a second tap delivered (the dialect has no message for it)."""
        noted = outcome.issuer_update and self.row_id is not None
        why = f" ({self._absent})" if self._absent else ""
        return ([Annotate(self.row_id, f"issuer update {outcome.issuer_update}{why}")] if noted else []) + \
            self._online_verdict(outcome)

    def _online_verdict(self, outcome: Outcome) -> list[Effect]:
        verdict = self.verdict
        assert verdict is not None
        if verdict.state is TxnState.NOT_SENT:
            code = outcome.chip_response_code
            if outcome.decision is Decision.UNABLE_ONLINE_APPROVED:
                card = replace(_card_of(outcome, outcome.field55_advice), pan=outcome.pan, expiry=outcome.expiry)
                line = N_("APPROVED (OFFLINE, HOST UNREACHABLE)")
                return [self._record_not_sent(verdict.reason), GoOffline(code or "Y3", card, line),
                        Finish(line)]
            chip = f"; declined by the chip ({code})" if code else f"; chip: {outcome.reason}"
            return [self._record_not_sent(verdict.reason + chip), Finish(verdict.message)]
        if self.cancel_requested and verdict.state is TxnState.APPROVED:
            return [Reverse(self.row_id, REVERSAL_CANCELLED, "operator cancelled after the request was sent", CANCEL_LINE),
                    Finish(CANCEL_LINE)]
        if verdict.state is TxnState.APPROVED and (outcome.reversal_needed or not outcome.decision.approved):
            why = outcome.reason or "the card declined after the host approved"
            return [Reverse(self.row_id, REVERSAL_CANNOT_COMPLETE, f"chip: {why}", CARD_DECLINED_LINE),
                    Finish(CARD_DECLINED_LINE)]
        return [Finish(verdict.message)]


def _pan_of(card: CardInput) -> str:
    """The PAN of card data already in hand: its own field, else the digits before track 2's separator."""
    if card.pan:
        return card.pan
    if card.track2:
        return card.track2.split("=")[0].split("D")[0]
    return ""


def _terminal_of(cfg: Config) -> Terminal:
    return Terminal(cfg.terminal.id, cfg.terminal.merchant_id, cfg.terminal.currency)


def _card_of(outcome: Outcome, icc: bytes | None) -> CardInput:
    """Card data for the 0200: track 2 equivalent (tag 57) when the card gave one, else PAN and expiry."""
    track2 = outcome.track2 or None
    return CardInput(entry_mode=outcome.entry_mode, masked_pan=mask_pan(outcome.pan or ""), track2=track2,
                     pan=None if track2 else outcome.pan, expiry=None if track2 else outcome.expiry,
                     psn=outcome.psn or None, icc=icc, pin_block=outcome.pin_block)
