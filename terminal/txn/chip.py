"""A chip sale: the EMV kernel over a card channel, the online request in between, and what each ending means
for the journal and the host.

  card approves offline (Y1)          -> offline approval + sealed advice, one commit
  card declines offline (Z1)          -> declined, journaled, nothing sent
  kernel aborts (bad card data, ...)  -> nothing sent, the reason shown, exit 'device error'
  go online -> 0200 with field 55:
     host answers                     -> the card gets the answer (2nd GENERATE AC); host approved but the card
                                         declines or leaves -> reversal, reason 06
     nothing left the terminal        -> unable to go online: the card decides Y3 (offline approval + advice
                                         on the same row and STAN) or Z3 (declined)
     sent, outcome unknown            -> reversal (68) already queued by the engine; the card is told the
                                         transaction was not approved and asked to decline
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Callable

from drivers.card_channel import CardChannel
from terminal.card import mask_pan
from terminal.config import Config
from terminal.emv.config import TerminalConfig, Transaction
from terminal.emv.issuer import HostResponse
from terminal.emv.kernel import EmvKernel
from terminal.emv.outcome import Decision, Outcome
from terminal.emv.pin import PinPad
from terminal.emv.runner import KernelRunner
from terminal.txn.engine import KINDS, Engine
from terminal.txn.records import OUTCOME, CardInput, SaleResult
from terminal.txn.sealing import AdviceData, seal
from terminal.txn.verdict import REVERSAL_CANNOT_COMPLETE

UNKNOWN_OUTCOME_ARC = "68"  # what the card is told when the host's answer never came: not approved


def emv_config(cfg: Config, contactless: bool) -> TerminalConfig:
    """The kernel's terminal data from the TOML parameters: country, currency, and the floor limit per AID."""
    base = TerminalConfig()
    aids = tuple(replace(a, floor_limit=cfg.limits.floor_limit) for a in base.aids)
    return replace(base, country_code=cfg.terminal.country, currency_code=cfg.terminal.currency, aids=aids,
                   contactless_interface=contactless)


def emulated_pinpad(cfg: Config, pin: str | None) -> PinPad | None:
    """The emulated cardholder's PIN pad, enciphering online PINs under the configured PIN key."""
    from terminal.emv.pin import EmulatedPinPad, Format0TdesKey
    return EmulatedPinPad(pin, Format0TdesKey(cfg.keys.pin_key)) if pin else None


def chip_sale(engine: Engine, kind: str, amount: int, channel: CardChannel, *, pinpad: PinPad | None = None,
              choose_application: Callable | None = None, on_online: Callable[[], None] | None = None,
              emv: TerminalConfig | None = None) -> tuple[SaleResult, Outcome]:
    """`emv` overrides the kernel's terminal data (AIDs, action codes, CA keys) built from the TOML parameters,
    as a provisioning bundle would."""
    contactless = channel.protocol == "contactless"
    kernel = EmvKernel(emv or emv_config(engine.cfg, contactless),
                       Transaction(amount=amount, transaction_type=0x20 if kind == "refund" else 0x00),
                       pinpad=pinpad, choose_application=choose_application)
    runner = KernelRunner(channel, kernel)
    outcome = runner.run()
    if outcome.decision is Decision.GO_ONLINE:
        if on_online:
            on_online()
        return _online(engine, kind, amount, runner, outcome)
    return _offline_end(engine, kind, amount, outcome), outcome


def _card(outcome: Outcome, icc: bytes | None) -> CardInput:
    """Card data for the 0200: track 2 equivalent (tag 57) when the card gave one, else PAN and expiry."""
    track2 = outcome.track2 or None
    return CardInput(entry_mode=outcome.entry_mode, masked_pan=mask_pan(outcome.pan or ""), track2=track2,
                     pan=None if track2 else outcome.pan, expiry=None if track2 else outcome.expiry,
                     psn=outcome.psn or None, icc=icc, pin_block=outcome.pin_block)


def _result(engine: Engine, row_id: int, message: str) -> SaleResult:
    row = engine.journal.txn(row_id)
    return SaleResult(row.id, row.stan, OUTCOME[row.state], row.response_code, row.auth_code, row.rrn, row.amount,
                      row.currency, row.masked_pan, row.entry_mode, message)


def _offline_end(engine: Engine, kind: str, amount: int, outcome: Outcome) -> SaleResult:
    j = engine.journal
    if outcome.decision is Decision.OFFLINE_APPROVED:
        card = replace(_card(outcome, outcome.field55_advice or outcome.field55_request), pan=outcome.pan,
                       expiry=outcome.expiry)
        row = engine.approve_offline(kind, amount, card, outcome.chip_response_code or "Y1")
        return _result(engine, row.id, "APPROVED (OFFLINE)")
    if outcome.decision in (Decision.OFFLINE_DECLINED, Decision.UNABLE_ONLINE_DECLINED):
        row = j.begin(kind=kind, proc_code=KINDS[kind], amount=amount, currency=engine.cfg.terminal.currency,
                      local_time=engine.local_now(), transmitted="", entry_mode=outcome.entry_mode,
                      masked_pan=mask_pan(outcome.pan or ""), psn=outcome.psn, state="declined",
                      reason=f"declined offline by the chip ({outcome.chip_response_code}): {outcome.reason}",
                      message="DECLINED BY CARD")
        return _result(engine, row.id, "DECLINED BY CARD")
    # aborted before anything was sent: a card fault, named. A technical failure of the chip opens the way
    # to a magstripe fallback for this card (chip-first rules); a blocked application does not.
    if "blocked" not in outcome.reason:
        record_chip_failure(engine, outcome.pan or None)
    return SaleResult(None, None, "not_sent", None, None, None, amount, engine.cfg.terminal.currency,
                      mask_pan(outcome.pan) if outcome.pan else "", outcome.entry_mode or "051",
                      f"CARD ERROR: {outcome.reason}")


def record_chip_failure(engine: Engine, pan: str | None) -> None:
    from terminal.card.chip_first import ChipFirstConfig, card_key
    from terminal.store.fallbacks import JournalFallbackStore
    key = card_key(pan, ChipFirstConfig().card_key_secret) if pan else None
    JournalFallbackStore(engine.journal).record_chip_failure(key, dt.date.today())


def _online(engine: Engine, kind: str, amount: int, runner: KernelRunner, first: Outcome
            ) -> tuple[SaleResult, Outcome]:
    row, verdict = engine.authorise(kind, amount, _card(first, first.field55_request))
    if verdict.state == "not_sent":  # nothing left the terminal: EMV 'unable to go online'
        outcome = runner.complete(None)
        if outcome.decision is Decision.UNABLE_ONLINE_APPROVED:
            advice = AdviceData(outcome.pan, outcome.expiry, outcome.field55_advice, outcome.psn)
            engine.journal.to_offline(row.id, outcome.chip_response_code or "Y3",
                                      lambda txn_id: seal(engine.cfg.keys.data_key, txn_id, advice),
                                      "APPROVED (OFFLINE, HOST UNREACHABLE)")
            return _result(engine, row.id, "APPROVED (OFFLINE, HOST UNREACHABLE)"), outcome
        engine.journal.set_state(row.id, "declined", f"host unreachable; declined by the chip "
                                 f"({outcome.chip_response_code})", message="DECLINED: host unreachable")
        return _result(engine, row.id, "DECLINED: host unreachable"), outcome
    if verdict.reversal or row.state in ("reversal_pending", "reversed"):
        outcome = runner.complete(HostResponse(UNKNOWN_OUTCOME_ARC))
        return engine.result(row, verdict), outcome
    outcome = runner.complete(HostResponse(verdict.response_code or "", verdict.issuer_data))
    if verdict.state == "approved" and (outcome.reversal_needed or not outcome.decision.approved):
        why = outcome.reason or "the card declined after the host approved"
        engine.reverse(engine.journal.txn(row.id), REVERSAL_CANNOT_COMPLETE, f"chip: {why}",
                       "DECLINED BY CARD: sale reversed, customer not charged")
        return _result(engine, row.id, "DECLINED BY CARD: sale reversed, customer not charged"), outcome
    return engine.result(row, verdict), outcome


