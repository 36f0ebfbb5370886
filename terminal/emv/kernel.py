"""The EMV kernel flow (EMV Book 3 section 10, Book 4 section 6) as a sans-I/O state machine: it takes card
responses and returns the next command, pauses at 'go online' for the host's answer, and ends with an Outcome.

    kernel = EmvKernel(config, txn, pin_entry=True, interactive_choice=True)
    step = kernel.start()
    while not isinstance(step, Finished):
        if isinstance(step, Command):      step = kernel.card_response(channel.transmit(step.apdu))
        elif isinstance(step, PinPrompt):  step = kernel.pin_entered(block_from(pinpad, step))   # or None
        elif isinstance(step, ApplicationChoice): step = kernel.application_chosen(index)       # or None
        elif isinstance(step, OnlineRequest): step = kernel.host_response(HostResponse('00', field55_of_0210))
                                             # or kernel.host_response(None) when the host cannot be reached

The kernel never waits for a person: PIN entry and the application choice are steps it yields, answered by
the driver (the keypad state machine, a PIN pad device, or the emulated cardholder of tests and the demo).

Every EmvError (malformed TLV, missing mandatory tag, unexpected SW) ends the run as ABORTED with the reason and
the TVR as it stood; once the host has approved, an abort also says 'reversal needed'. Never a crash."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Generator

from terminal.emv import apdu, field55
from terminal.emv.apdu import Command, Response
from terminal.emv.config import EmvTerminalData, Transaction
from terminal.emv.context import KernelContext
from terminal.emv.cvm import verify_cardholder
from terminal.emv.errors import EmvError
from terminal.emv.genac import CID_AAC, CID_NAMES, CID_TC, generate_ac
from terminal.emv.gpo import ConditionsNotSatisfied, get_processing_options
from terminal.emv.issuer import HostResponse, authenticate_issuer, run_scripts, split_issuer_data
from terminal.emv.offline_auth import authenticate
from terminal.emv.outcome import Decision, Outcome
from terminal.emv.pin import PinPad
from terminal.emv.prompts import ApplicationChoice, PinPrompt, PresentCardAgain
from terminal.emv.records import card_pan, read_application_data
from terminal.emv.restrictions import check_restrictions
from terminal.emv.selection import ChooseApplication, build_candidates, final_select
from terminal.emv.taa import default_decision, first_decision
from terminal.emv.trm import risk_management


@dataclass(frozen=True)
class OnlineRequest:
    """The card asked for online authorisation: send a 0200 with outcome.field55_request (and card data, PIN
    block), then call `host_response`."""

    outcome: Outcome


@dataclass(frozen=True)
class Finished:
    outcome: Outcome


Step = Command | PinPrompt | ApplicationChoice | PresentCardAgain | OnlineRequest | Finished


def _bcd(number: int, length: int) -> bytes:
    return bytes.fromhex(str(number).rjust(length * 2, "0")[-length * 2:])


class EmvKernel:
    """One transaction with one card. Not reusable: build a new kernel for the next sale."""

    def __init__(self, config: EmvTerminalData, txn: Transaction, pinpad: PinPad | None = None,
                 choose_application: ChooseApplication | None = None, *, pin_entry: bool | None = None,
                 interactive_choice: bool | None = None) -> None:
        """`pin_entry`: a PIN pad can take a PIN (else CVM rules needing one fail, TVR 'PIN pad not working').
        `interactive_choice`: someone can choose among applications (else the highest priority one is taken).
        `pinpad` and `choose_application` are kept only for KernelRunner, the synchronous shell of tests and
        benchmarks, which answers the prompts with them; they imply the two flags."""
        self.ctx = KernelContext(config, txn, contactless=config.contactless_interface)
        self.pinpad = pinpad
        self.choose_application = choose_application
        self._pin_entry = pinpad is not None if pin_entry is None else pin_entry
        self._interactive = choose_application is not None if interactive_choice is None else interactive_choice
        self._prompt: PinPrompt | ApplicationChoice | PresentCardAgain | None = None
        self._flow_gen: Generator | None = None
        self._pending: Command | None = None
        self._host_approved = False
        self._settled: tuple[Decision, str] | None = None   # the card's final answer, before scripts 72
        self._request55 = b""
        self._awaiting_host = False
        self.outcome: Outcome | None = None

    # ---- sans-I/O API -------------------------------------------------------------------------------------
    def start(self) -> Step:
        if self._flow_gen is not None:
            raise RuntimeError("kernel already started")
        self._init_terminal_data()
        self._flow_gen = self._guarded_flow()
        return self._advance(None)

    def card_response(self, raw: bytes) -> Step:
        if self._pending is None:
            raise RuntimeError("no card command is waiting for a response")
        try:
            response = Response.parse(raw, self._pending.name)
        except EmvError as err:
            return self._abort(str(err))
        return self._advance(response)

    def host_response(self, response: HostResponse | None) -> Step:
        """The 0210's field 39 and field 55, or None when the host could not be reached (Y3/Z3 path)."""
        if not self._awaiting_host:
            raise RuntimeError("host_response() is only valid after the kernel returned an OnlineRequest")
        self._awaiting_host = False
        return self._advance(("host", response))

    def pin_entered(self, block: bytes | None) -> Step:
        """The PIN pad's answer to a PinPrompt: the block it asked for, or None when no PIN was entered."""
        if not isinstance(self._prompt, PinPrompt):
            raise RuntimeError("pin_entered() is only valid after the kernel returned a PinPrompt")
        return self._advance(block)

    def application_chosen(self, index: int | None) -> Step:
        """The answer to an ApplicationChoice: the index into its labels, or None when nobody chose."""
        if not isinstance(self._prompt, ApplicationChoice):
            raise RuntimeError("application_chosen() is only valid after the kernel returned an ApplicationChoice")
        return self._advance(index)

    def card_presented_again(self, present: bool) -> Step:
        """The answer to a PresentCardAgain (Book C-3 issuer update): True once the card is back in the field,
        False when it did not come back in time (the host's decision stands, nothing reaches the card)."""
        if not isinstance(self._prompt, PresentCardAgain):
            raise RuntimeError("card_presented_again() is only valid after the kernel returned a PresentCardAgain")
        return self._advance(present)

    def card_error(self, reason: str) -> Step:
        """The card or reader failed during an exchange (card removed, reader error). After the final GENERATE
        AC the card's decision stands: only the scripts after it failed (Book 3 10.10)."""
        if self._settled is not None and self.outcome is None:
            self._flow_gen.close()
            self.ctx.tvr.set("script_failed_after_final_ac")
            decision, why = self._settled
            self.outcome = self._outcome(decision, (why + "; " if why else "") + f"card error during issuer scripts: "
                                         f"{reason}", self._request55)
            if self.ctx.contactless:                   # the second tap of Book C-3 issuer update processing
                from terminal.emv.contactless.issuer_update import interrupted
                interrupted(self.outcome, reason)
            return Finished(self.outcome)
        return self._abort(f"card error: {reason}")

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    # ---- internals -----------------------------------------------------------------------------------------
    def _advance(self, value) -> Step:
        if self.outcome is not None:
            return Finished(self.outcome)
        try:
            step = self._flow_gen.send(value)
        except StopIteration:
            return Finished(self.outcome)
        self._pending = step if isinstance(step, Command) else None
        self._prompt = step if isinstance(step, (PinPrompt, ApplicationChoice, PresentCardAgain)) else None
        self._awaiting_host = isinstance(step, OnlineRequest)
        return step

    def _abort(self, reason: str) -> Step:
        if self._flow_gen is not None:
            self._flow_gen.close()
        self.outcome = self._outcome(Decision.ABORTED, reason)
        return Finished(self.outcome)

    def _init_terminal_data(self) -> None:
        cfg, txn, term = self.ctx.config, self.ctx.txn, self.ctx.terminal
        now = txn.now
        term[0x9F02] = _bcd(txn.amount, 6)
        term[0x9F03] = _bcd(txn.amount_other, 6)
        term[0x9F1A] = _bcd(int(cfg.country_code), 2)
        term[0x5F2A] = _bcd(int(cfg.currency_code), 2)
        term[0x5F36] = _bcd(cfg.currency_exponent, 1)
        term[0x9A] = bytes.fromhex(now.strftime("%y%m%d"))
        term[0x9F21] = bytes.fromhex(now.strftime("%H%M%S"))
        term[0x9C] = bytes([txn.transaction_type])
        term[0x9F37] = (txn.unpredictable or (lambda: os.urandom(4)))()
        term[0x9F35] = bytes([cfg.terminal_type])
        term[0x9F33] = cfg.capabilities
        term[0x9F40] = cfg.additional_capabilities
        term[0x9F1E] = cfg.ifd_serial.encode("ascii")[:8].ljust(8)
        term[0x9F15] = _bcd(int(cfg.merchant_category_code), 2)
        term[0x9F41] = _bcd(txn.sequence_counter, 4)
        term[0x9F39] = b"\x07" if cfg.contactless_interface else b"\x05"

    def _guarded_flow(self):
        try:
            yield from self._flow()
        except EmvError as err:
            self.outcome = self._outcome(Decision.ABORTED, str(err))
        except (IndexError, KeyError, ValueError, TypeError) as err:
            # Safety net: card data so inconsistent that a step could not even name the defect. The sale
            # still ends with a reason and the TVR, never a crash of the terminal.
            self.outcome = self._outcome(Decision.ABORTED, f"card data could not be used ({type(err).__name__}: {err})")

    def _select_and_initiate(self):
        ctx = self.ctx
        candidates = yield from build_candidates(ctx)
        while True:
            chosen = yield from final_select(ctx, candidates, self._interactive)
            ctx.aid = ctx.config.aid_config(chosen.aid)
            ctx.terminal[0x9F09] = ctx.aid.app_version
            ctx.terminal[0x9F1B] = ctx.aid.floor_limit.to_bytes(4, "big")
            try:
                afl = yield from get_processing_options(ctx)
                return afl
            except ConditionsNotSatisfied:
                candidates = [c for c in candidates if c != chosen]
                ctx.card.clear()

    def online_request(self, outcome: Outcome) -> OnlineRequest:
        """The step a flow yields to ask for the host (the contactless kernels yield it too)."""
        return OnlineRequest(outcome)

    def _flow(self):
        ctx = self.ctx
        if ctx.contactless:                    # Book B entry point, then the kernel C-2 / C-3 it activates
            from terminal.emv.contactless import entry_point
            yield from entry_point.run(self)
            return
        afl = yield from self._select_and_initiate()
        yield from read_application_data(ctx, afl)
        yield from authenticate(ctx)
        check_restrictions(ctx)
        yield from verify_cardholder(ctx, self._pin_entry)
        yield from risk_management(ctx)
        first = yield from generate_ac(ctx, first_decision(ctx), second=False)
        ctx.tsi.set("card_risk_management_performed")
        request55 = field55.build(ctx.values())
        if first.cda_ok is False:
            ctx.terminal[0x8A] = b"Z1"
            self.outcome = self._outcome(Decision.OFFLINE_DECLINED, "CDA failed: " + ctx.oda_failure,
                                         request55)
            return
        if first.kind == CID_TC:
            ctx.terminal[0x8A] = b"Y1"
            self.outcome = self._outcome(Decision.OFFLINE_APPROVED, "", request55)
            return
        if first.kind == CID_AAC:
            ctx.terminal[0x8A] = b"Z1"
            self.outcome = self._outcome(Decision.OFFLINE_DECLINED, "card declined offline (AAC)", request55)
            return
        host = None
        if ctx.config.online_capable:
            _, host = yield OnlineRequest(self._outcome(Decision.GO_ONLINE, "", request55))
        if host is None:
            yield from self._unable_to_go_online(request55)
        else:
            yield from self._complete_online(host, request55)

    def _unable_to_go_online(self, request55: bytes):
        ctx = self.ctx
        p1 = default_decision(ctx)
        ctx.terminal[0x8A] = b"Y3" if p1 == apdu.P1_TC else b"Z3"
        second = yield from generate_ac(ctx, p1, second=True)
        if second.kind == CID_TC and second.cda_ok is not False:
            self.outcome = self._outcome(Decision.UNABLE_ONLINE_APPROVED, "host unreachable, approved offline",
                                         request55)
        else:
            ctx.terminal[0x8A] = b"Z3"
            self.outcome = self._outcome(Decision.UNABLE_ONLINE_DECLINED, "host unreachable, declined offline",
                                         request55)

    def _complete_online(self, host: HostResponse, request55: bytes):
        ctx = self.ctx
        self._host_approved = host.approved
        ctx.terminal[0x8A] = host.response_code.encode("ascii")[:2].ljust(2, b"0")
        data = split_issuer_data(host.issuer_data)
        yield from authenticate_issuer(ctx, data)
        yield from run_scripts(ctx, data.scripts_before, after_final=False)
        second = yield from generate_ac(ctx, apdu.P1_TC if host.approved else apdu.P1_AAC, second=True)
        if not host.approved:
            self._settled = (Decision.ONLINE_DECLINED, f"host declined ({host.response_code})")
        elif second.kind == CID_TC and second.cda_ok is not False:
            self._settled = (Decision.ONLINE_APPROVED, "")
        else:
            why = "CDA failed" if second.cda_ok is False else "card declined (AAC) after host approval"
            self._settled = (Decision.ONLINE_DECLINED, why)
        self._request55 = request55
        yield from run_scripts(ctx, data.scripts_after, after_final=True)
        self.outcome = self._outcome(*self._settled, request55)

    def _outcome(self, decision: Decision, reason: str, request55: bytes = b"") -> Outcome:
        ctx = self.ctx
        card = ctx.card
        values = ctx.values()
        if ctx.script_results:
            values[0x9F5B] = bytes(ctx.script_results)
        try:
            advice55 = field55.build(values, field55.ADVICE_TAGS) if 0x9F26 in card else b""
        except EmvError:
            advice55 = b""
        pan = card_pan(card)
        expiry = card.get(0x5F24, b"").hex()[:4]
        psn = card.get(0x5F34)
        track2 = card.get(0x57, b"").hex().upper().rstrip("F").replace("D", "=")
        cid = card.get(0x9F27, b"\xff")[0] & 0xC0 if 0x9F27 in card else None
        return Outcome(
            decision=decision, reason=reason, tvr=bytes(ctx.tvr), tsi=bytes(ctx.tsi),
            cvm_results=ctx.terminal.get(0x9F34, b"\x3f\x00\x00"), cvm=ctx.cvm,
            field55_request=request55, field55_advice=advice55, pan=pan, expiry=expiry,
            psn=f"{int(psn.hex()):03d}" if psn else "", track2=track2,
            entry_mode="071" if ctx.contactless else "051", pin_block=ctx.pin_block,
            signature_required="signature" in ctx.cvm,
            reversal_needed=self._host_approved and decision in (Decision.ABORTED, Decision.ONLINE_DECLINED),
            application=ctx.selected_aid.hex().upper(), application_label=ctx.label, language_preference=ctx.language_preference,
            cryptogram=CID_NAMES.get(cid, "") if cid is not None else "",
            issuer_script_results=bytes(ctx.script_results), apdu_count=ctx.commands_sent)


__all__ = ["EmvKernel", "OnlineRequest", "Finished", "HostResponse", "PinPrompt", "ApplicationChoice",
           "PresentCardAgain", "Step"]
