"""The one driver loop: it owns every I/O of a transaction (card, keypad, PIN pad, link, journal commits,
the clock) and runs the sans-I/O sale core. `posterm sale`, `posterm run`, `posterm demo`, settlement, the
store-and-forward worker and the simulation all go through a `Driver`.

    driver = Driver(cfg, journal, link)            # nothing is written yet
    driver.recover()                               # explicit: queue reversals for in-doubt rows
    result = driver.sale("purchase", 1234, ChipReader(open_channel), operator=keypad)

Each effect of the core is performed here, in order, and what happened goes back to the core as an event.
While the driver waits (for the card's answer, for the host), it polls the operator, so a CANCEL is seen at
once; what it means is the core's business.
"""
from __future__ import annotations

import logging
from collections import deque

from drivers.errors import ReaderError
from terminal.config import Config
from terminal.emv.prompts import block_from
from terminal.i18n.text import N_
from terminal.keypad.inputs import RequestSent
from terminal.link.client import HostLink
from terminal.store import Journal, StoreError, TxnRow
from terminal.store.fallbacks import JournalFallbackStore
from terminal.store.states import TxnState
from terminal.txn import core as c
from terminal.txn import saf
from terminal.txn.cards import CardSource
from terminal.txn.clock import SYSTEM, Clock
from terminal.txn.crashpoints import NONE, CrashPoints
from terminal.txn.exchange import Answered, NoAnswer, address_of, exchange
from terminal.txn.operator import NoOperator, Operator
from terminal.txn.pin_entry import KeypadPinPad
from terminal.txn.records import OUTCOME, SaleResult
from terminal.txn.risk_io import ask_operator, risk_facts
from terminal.txn.recovery import recover
from terminal.txn.sealing import AdviceData, seal
from terminal.txn.slip_data import keep_chip_lines

log = logging.getLogger("terminal.txn")


class Driver:
    def __init__(self, cfg: Config, journal: Journal, link: HostLink, *, clock: Clock = SYSTEM,
                 crash: CrashPoints = NONE, emv: object | None = None, tracer=None) -> None:
        self.cfg, self.journal, self.link = cfg, journal, link
        journal.risk.keep_s = cfg.risk.longest_window_s   # hashes past every window are erased as rows commit
        self.clock, self.crash = clock, crash
        self.emv = emv              # kernel terminal data overriding the TOML's (a provisioning bundle)
        self.tracer = tracer        # (name, command, response) of every APDU: tests and benchmarks only
        self.last_core: c.SaleCore | None = None
        # Optional feedback while waiting: progress("card", 0, 0) when the card wait starts, progress("host",
        # elapsed_s, timeout_s) each tick of the host wait, progress(None, 0, 0) when a wait ends. Display only.
        self.progress = None

    # ---- steps of their own -------------------------------------------------------------------------------
    def recover(self) -> list[int]:
        """Queue a reversal for every transaction a crash left in doubt. Run once, before the first sale."""
        return recover(self.journal)

    def drain(self, *, force: bool = False) -> saf.DrainReport:
        return saf.drain(self.cfg, self.journal, self.link, self.clock, force=force, crash=self.crash,
                         progress=self.progress)

    # ---- a sale -------------------------------------------------------------------------------------------
    def sale(self, kind: str, amount: int, card: CardSource, *, operator: Operator | None = None,
             pinpad: object | None = None, original: TxnRow | None = None,
             on_request_sent=None) -> SaleResult:
        """One transaction from the card to its result. `pinpad`: an emv.pin.PinPad that already knows the
        PIN (the emulated cardholder); without one a PIN is typed on the operator's keypad."""
        operator = operator or NoOperator()
        core = c.SaleCore(self.cfg, kind, amount, emv=self.emv, fallbacks=JournalFallbackStore(self.journal),
                          original=original, interactive_choice=operator.chooses_application,
                          pin_entry=pinpad is not None or operator.interactive)
        self.last_core = core
        run = _Run(self, core, card, operator, pinpad, on_request_sent)
        try:
            return run.until_done()
        finally:
            card.close()


class _Run:
    """One sale's trip through the core: the effects queue and the row the sale wrote."""

    def __init__(self, driver: Driver, core: c.SaleCore, card: CardSource, operator: Operator, pinpad,
                 on_request_sent) -> None:
        self.d, self.core, self.card, self.operator, self.pinpad = driver, core, card, operator, pinpad
        self.on_request_sent = on_request_sent
        self.row_id: int | None = None

    def until_done(self) -> SaleResult:
        start = getattr(self.operator, "start_sale", None)
        if start:
            start()
        effects = deque(self.core.start(self.d.clock.now()))
        while effects:
            effect = effects.popleft()
            for event in self.perform(effect):
                if self.core.phase is c.Phase.DONE:
                    break  # e.g. the answer of a card whose sale the operator just cancelled
                effects.extend(self.core.handle(event, self.d.clock.now()))
        finish = self.core.finished
        if finish is None:
            raise c.SequenceError(f"sale core stopped while {self.core.phase.value} with nothing to do")
        if self.row_id is not None and self.core.outcome is not None:
            keep_chip_lines(self.d.journal, self.row_id, self.core.outcome)
        result = self.result(finish)
        self.operator.show_result(result.message, result.outcome in ("approved", "offline_approved"))
        return result

    # ---- the effects ----------------------------------------------------------------------------------------
    def perform(self, e: c.Effect) -> list[c.Event]:
        """One effect; a journal write that fails says what it means for the customer's money, because the
        store alone cannot know whether the request had already left."""
        try:
            return self._perform(e)
        except StoreError as err:
            raise err.restated(self.after_failed_write(e, err)) from None

    def after_failed_write(self, e: c.Effect, err: StoreError) -> str:
        """What a failed journal write leaves behind. An fsync error (EIO) says nothing of the page cache: the
        commit may still be in the journal, and a fresh read tells. Only then do we know what to tell the
        operator, because the restart goes by what the journal holds."""
        if not err.maybe_written:
            return journal_failure_consequence(e)
        try:
            held = self.outcome_held(e)
        except StoreError:
            return ("cannot tell whether the outcome is recorded: run posterm saf flush, then posterm txn show, "
                    "before treating the sale as paid")
        if held is not None:
            return (f"the journal holds the outcome anyway ({held}): it stands, but the disk failed to confirm it; "
                    "run posterm journal check and replace the storage")
        return journal_failure_consequence(e)

    def outcome_held(self, e: c.Effect) -> str | None:
        """The state a failed outcome commit wanted, when a fresh read finds it in the journal anyway."""
        j = self.d.journal
        match e:
            case c.Conclude() if not e.verdict.reversal:
                wanted: tuple[TxnState, ...] = (TxnState(e.verdict.state),)
                rows = j.peek_txns(e.row_id)
            case c.Reverse():
                wanted, rows = (TxnState.REVERSAL_PENDING, TxnState.REVERSED), j.peek_txns(e.row_id)
            case c.GoOffline() if self.row_id is not None:
                wanted, rows = (TxnState.ADVICE_PENDING, TxnState.OFFLINE_APPROVED), j.peek_txns(self.row_id)
            case c.RecordOfflineApproval():
                wanted = (TxnState.ADVICE_PENDING, TxnState.OFFLINE_APPROVED)
                rows = [r for r in j.peek_txns() if (r.amount, r.tsc, r.local_time) ==
                        (e.amount, e.sequence_counter, e.local_time)]
            case _:
                return None
        row = rows[0] if rows else None
        return str(row.state) if row is not None and row.state in wanted else None

    def _perform(self, e: c.Effect) -> list[c.Event]:
        d, j = self.d, self.d.journal
        match e:
            case c.AwaitCard():
                if d.progress:
                    d.progress("card", 0.0, 0.0)
                try:
                    return [*self.operator.poll(), self.card.wait(j.next_tsc)]
                finally:
                    if d.progress:
                        d.progress(None, 0.0, 0.0)
            case c.AwaitCardAgain():
                return self.card_again(e)
            case c.Annotate():
                j.note(e.row_id, e.note)
                return []
            case c.Transmit():
                polled = self.operator.poll()
                try:
                    raw = self.card.transmit(e.apdu)
                except ReaderError as err:
                    return [*polled, c.CardFault(str(err) or type(err).__name__)]
                if d.tracer:
                    d.tracer(e.name, e.apdu, raw)
                return [*polled, c.CardAnswered(raw)]
            case c.PromptPin():
                return self.pin(e)
            case c.PromptApplication():
                index = self.operator.choose(e.labels)
                return [*self.operator.poll(), c.ApplicationChosen(index)]
            case c.Notify():
                self.operator.notify(e.event)
                if self.on_request_sent and isinstance(e.event, RequestSent):
                    self.on_request_sent()
                return []
            case c.LookUpRisk():
                return [c.RiskLooked(risk_facts(j, e))]
            case c.AskOperator():
                return [c.OperatorAnswered(ask_operator(self.operator, e, d.cfg.risk.supervisor_pin_hash))]
            case c.SettleOperator():
                return [c.OperatorSettled(self.operator.settle())]
            case c.ClearReversals():
                report = d.drain(force=True)
                return [c.Cleared(report.reversals_pending, report.blocking_stan, report.error)]
            case c.WriteAhead():
                d.crash.reached("before_write_ahead")
                row = j.begin(kind=e.kind, proc_code=e.proc_code, amount=e.amount, currency=d.cfg.terminal.currency,
                              local_time=e.local_time, transmitted=e.transmitted, entry_mode=e.entry_mode,
                              masked_pan=e.masked_pan, psn=e.psn, original_id=e.original_id, tsc=e.sequence_counter,
                              card_hash=e.card_hash, risk=e.risk)
                self.row_id = row.id
                d.crash.reached("after_write_ahead")
                return [c.Committed(row.id, row.stan, row.batch)]
            case c.RecordEnded():
                row = j.begin(kind=e.kind, proc_code=e.proc_code, amount=e.amount, currency=d.cfg.terminal.currency,
                              local_time=e.local_time, transmitted="", entry_mode=e.entry_mode,
                              masked_pan=e.masked_pan, psn=e.psn, state=e.state, reason=e.reason,
                              message=e.message, tsc=e.sequence_counter, card_hash=e.card_hash, risk=e.risk)
                self.row_id = row.id
                return []
            case c.RecordOfflineApproval():
                d.crash.reached("before_offline_record")
                row = record_offline_approval(j, d.cfg, kind=e.kind, proc_code=e.proc_code, amount=e.amount,
                                              local_time=e.local_time, card=e.card, chip_code=e.chip_code,
                                              message=e.message, tsc=e.sequence_counter, card_hash=e.card_hash,
                                              risk=e.risk)
                self.row_id = row.id
                return []
            case c.Send():
                idle = self._idle_poller()
                tick = host_wait_ticker(d.progress, d.clock, e.timeout_s, also=idle.poll)
                try:
                    reply = exchange(d.link, e.request, d.cfg.keys.mac_key, e.timeout_s, crash=d.crash, idle=tick)
                finally:
                    if d.progress:
                        d.progress(None, 0.0, 0.0)
                if isinstance(reply, (Answered, NoAnswer)):
                    carrier = getattr(d.link, "last_address", "") or address_of(d.link)
                    if carrier and self.row_id is not None:  # rides the outcome's commit (store/carriers.py)
                        j.note_carried(self.row_id, e.request.mti, int(e.request.stan), carrier)
                    d.crash.reached("after_response")
                return [*idle.events, *self.operator.poll(), c.HostReplied(reply)]
            case c.Conclude():
                v = e.verdict
                if v.response_code == "63":
                    j.raise_key_alert(f"host answered 63 (security violation) to STAN {self.core.stan:06d}")
                if not v.reversal:
                    j.set_state(e.row_id, v.state, v.reason, response_code=v.response_code, auth_code=v.auth_code,
                                rrn=v.rrn, message=v.message, voids=e.voids)
                return []
            case c.Reverse():
                j.queue(e.row_id, "reversal", e.reason_code, TxnState.REVERSAL_PENDING, e.why, message=e.message)
                d.drain(force=True)
                return []
            case c.GoOffline():
                d.crash.reached("before_offline_record")
                card = e.card
                advice = AdviceData(card.pan, card.expiry, card.icc, card.psn)
                j.to_offline(self.row_id, e.chip_code, lambda txn_id: seal(d.cfg.keys.data_key, txn_id, advice),
                             e.message)
                return []
            case c.RecordChipFailure():
                JournalFallbackStore(j).record_chip_failure(e.card_key, d.clock.now().local.date())
                return []
            case c.Finish():
                return []
        raise c.SequenceError(f"driver: no way to perform {type(e).__name__}")

    def card_again(self, e: c.AwaitCardAgain) -> list[c.Event]:
        """Book C-3 issuer update: the card left after GPO; wait for it to come back (the reader's card timeout).
        A cancel already typed ends the wait: the sale is then reversed as the core decides."""
        d = self.d
        log.info("contactless issuer update: %s", e.message)
        polled = self.operator.poll()
        if polled:
            return [*polled, c.CardNotPresentedAgain("cancelled by the operator")]
        if d.progress:
            d.progress("card_again", 0.0, 0.0)
        try:
            back = self.card.present_again()
        finally:
            if d.progress:
                d.progress(None, 0.0, 0.0)
        if back:
            return [*self.operator.poll(), c.CardPresentedAgain()]
        return [*self.operator.poll(), c.CardNotPresentedAgain("no card within the card timeout")]

    def pin(self, e: c.PromptPin) -> list[c.Event]:
        """The emulated cardholder answers at once; otherwise the operator's keypad takes the PIN."""
        if self.pinpad is not None:
            return [c.PinEntered(block_from(self.pinpad, e.prompt))]
        if not self.operator.interactive:
            return [c.PinEntered(None)]
        from terminal.emv.pin import Format0TdesKey
        pad = KeypadPinPad(Format0TdesKey(self.d.cfg.keys.pin_key))
        entered = self.operator.enter_pin(pad)
        block = block_from(pad, e.prompt) if entered else None
        pad.abandon()
        return [*self.operator.poll(), c.PinEntered(block)]

    def _idle_poller(self) -> "_Idle":
        return _Idle(self.operator)

    # ---- the result ------------------------------------------------------------------------------------------
    def result(self, finish: c.Finish) -> SaleResult:
        core, cfg = self.core, self.d.cfg
        if self.row_id is None:
            pan = core.outcome.masked_pan if core.outcome is not None and core.outcome.pan else (
                core.card.masked_pan if core.card else "")
            entry = core.card.entry_mode if core.card else (core.outcome.entry_mode if core.outcome else "")
            return SaleResult(None, None, finish.outcome or "not_sent", None, None, None, core.amount,
                              cfg.terminal.currency, pan, entry, finish.message, device_error=finish.device_error,
                              reason=finish.reason)
        row = self.d.journal.txn(self.row_id)
        message = finish.message if row.message == finish.message else (row.message or finish.message)
        if row.state is TxnState.REVERSED and row.message.startswith("NO RESPONSE"):
            message = N_("NO RESPONSE: transaction reversed, customer not charged")
        return SaleResult(row.id, row.stan, OUTCOME[row.state], row.response_code, row.auth_code, row.rrn,
                          row.amount, row.currency, row.masked_pan, row.entry_mode, message)


def host_wait_ticker(progress, clock: Clock, timeout_s: float, also=None):
    """What to run each tick while the host works: `also` (the operator's keypad), and the display-only
    progress line 'waiting for the host: n of T s' when a progress callback is set. None: nothing to run."""
    if progress is None:
        return also
    started = clock.monotonic()

    def tick() -> None:
        if also is not None:
            also()
        progress("host", clock.monotonic() - started, timeout_s)
    return tick


class _Idle:
    """Polls the operator while the host is working; keeps what the keypad decided for the core."""

    def __init__(self, operator: Operator) -> None:
        self.operator = operator
        self.events: list[c.Event] = []

    def poll(self) -> None:
        self.events.extend(self.operator.poll())


def journal_failure_consequence(e: c.Effect) -> str:
    """What a failed journal write at effect `e` leaves behind, in words for the operator."""
    match e:
        case c.Conclude() | c.Reverse():
            return ("the request was sent and its answer is not recorded: the sale will be reversed when the "
                    "journal can be written again (posterm saf flush); do not treat it as paid")
        case c.ClearReversals():
            return "an earlier reversal could not be recorded: nothing sent for this sale, customer not charged"
        case c.RecordOfflineApproval() | c.GoOffline():
            return "the offline approval is not recorded, so the sale is not approved: nothing sent, customer not charged"
        case _:
            return "nothing sent, the customer is not charged"


def record_offline_approval(journal: Journal, cfg: Config, *, kind: str, proc_code: str, amount: int, local_time,
                            card, chip_code: str, message: str, tsc: int | None, card_hash: str | None = None,
                            risk: tuple = ()) -> TxnRow:
    """An offline approval and its advice in one commit; the advice keeps PAN, expiry and field 55, sealed,
    and never track 2 or a PIN block."""
    advice = AdviceData(card.pan, card.expiry, card.icc, card.psn)
    return journal.begin_offline(kind=kind, proc_code=proc_code, amount=amount, currency=cfg.terminal.currency,
                                 local_time=local_time, entry_mode=card.entry_mode, masked_pan=card.masked_pan,
                                 psn=card.psn, chip_code=chip_code, message=message, tsc=tsc,
                                 seal=lambda txn_id: seal(cfg.keys.data_key, txn_id, advice), card_hash=card_hash,
                                 risk=risk)
