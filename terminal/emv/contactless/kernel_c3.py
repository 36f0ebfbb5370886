"""Book C-3 (Visa qVSDC) as the Entry Point activates it, after the final SELECT.

    PDOL must ask for the TTQ (9F66)  -> else Select Next (this application cannot run qVSDC here)
    GET PROCESSING OPTIONS with the TTQ from pre-processing:
        6984 -> Try Another Interface; 6985 -> Select Next; 6986 -> Try Again, 'See phone for instructions'
                (the consumer device wants its cardholder first); other SW -> End Application
        format 1 (80), or 77 without a cryptogram after the records -> End Application (not qVSDC)
    READ RECORD for each AFL record (an AFL is optional)
    the card's decision: 9F27 (or, when absent, the cryptogram type in the IAD's CVR, bits 6-5 of byte 5)
        ARQC -> Online Request: field 55 with the ARQC, no CDOL1, no second GENERATE AC; the host's answer is
                the outcome (approved/declined); no host -> declined (Z3): an ARQC cannot be approved offline
        TC   -> offline: expiry (5F24) and fDDA (9F4B over 9F37 || 9F02 || 5F2A || 9F69, version 01)
                fDDA fails -> CTQ b6 'go online if ODA fails' and online capable: Online Request;
                              CTQ b5 'switch interface if ODA fails': Try Another Interface; else Declined
                expired   -> CTQ b4 'go online if expired' and online capable: Online Request; else Declined
                else Approved (Y1)
        AAC  -> Declined (Z1)
    CVM (when the reader set 'CVM required', or the card asks): CTQ online PIN (online only) > consumer device
        CVM (CTQ byte 2 b8) > CTQ signature > no CTQ: signature when the reader supports it; a CVM that cannot be
        done -> Try Another Interface (offline) / Declined.
    the host's answer carries 91 / 71 / 72, the AID offers issuer update (TTQ byte 3 b8) and the CTQ byte 2 b7
        says the card takes it -> 'Present card again', then issuer update processing (issuer_update.py)."""
from __future__ import annotations

from drivers.emvspec.dol import build_dol_data, parse_dol
from drivers.emvspec.errors import DolError
from terminal.emv import apdu, field55, oda, tags
from terminal.emv.contactless import issuer_update
from terminal.emv.contactless.outcomes import (APPROVED, DECLINED, END_APPLICATION, ONLINE_REQUEST, SELECT_NEXT,
                                               TRY_AGAIN, TRY_ANOTHER_INTERFACE, KernelOutcome, host_answered, ui_text)
from terminal.emv.context import exchange, parse_response
from terminal.emv.errors import EmvError, OdaError
from terminal.emv.gpo import parse_afl
from terminal.emv.offline_auth import recover_icc_key
from terminal.emv.outcome import Decision
from terminal.emv.prompts import PinPrompt
from terminal.emv.records import read_application_data
from terminal.emv.restrictions import bcd_date

CID_AAC, CID_TC, CID_ARQC = 0x00, 0x40, 0x80
TTQ_ONLINE_PIN, TTQ_SIGNATURE, TTQ_OFFLINE_ONLY = 0x04, 0x02, 0x08              # byte 1
CTQ_ONLINE_PIN, CTQ_SIGNATURE, CTQ_ONLINE_IF_ODA_FAILS, CTQ_SWITCH_IF_ODA_FAILS, CTQ_ONLINE_IF_EXPIRED = (
    0x80, 0x40, 0x20, 0x10, 0x08)                                                # byte 1
CTQ_CDCVM = 0x80                                                                 # byte 2
MANDATORY = (0x57, 0x9F26, 0x9F36, 0x9F10)            # Book C-3: what any qVSDC outcome needs
MANDATORY_OFFLINE = (0x5F24, 0x9F4B, 0x9F69)


def _cid(ctx) -> int:
    cid = ctx.card.get(0x9F27)
    if cid:
        return cid[0] & 0xC0
    iad = ctx.card.get(0x9F10, b"")
    kind = (iad[4] >> 4) & 0x03 if len(iad) > 4 else 0
    return {0: CID_AAC, 1: CID_TC, 2: CID_ARQC}.get(kind, CID_AAC)


def _fdda(ctx) -> None:
    """Book C-3 fDDA (version 01): ICC key from the certificates, then the SDAD over the reader's data."""
    cad = ctx.card.get(0x9F69, b"")
    if not cad or cad[0] != 0x01:
        raise OdaError("card authentication related data (9F69) missing or not fDDA version 01")
    ctx.icc_key = recover_icc_key(ctx)
    terminal = ctx.terminal[0x9F37] + ctx.terminal[0x9F02] + ctx.terminal[0x5F2A] + cad
    dynamic = oda.verify_dynamic_signature(ctx.card[0x9F4B], ctx.icc_key, terminal)
    ctx.card[0x9F4C] = dynamic[1:1 + dynamic[0]]


def _cvm(k, combo, online: bool):
    """Returns (cvm, problem): cvm as in Outcome.cvm; problem '' or why none could be done."""
    ctx = k.ctx
    ttq, ctq = ctx.terminal[0x9F66], ctx.card.get(0x9F6C)
    required = combo.indicators.cvm_required
    if ctq and ctq[0] & CTQ_ONLINE_PIN and online and ttq[0] & TTQ_ONLINE_PIN:
        if not k._pin_entry or not ctx.config.pin_pad_present:
            return "failed", "online PIN required but no PIN pad"
        block = yield PinPrompt("online", None, pan=_pan(ctx))
        if block is None:
            return "failed", "online PIN not entered"
        ctx.pin_block = block
        ctx.terminal[0x9F34] = bytes.fromhex("020000")   # enciphered PIN online, result unknown
        return "online_pin", ""
    if ctq and len(ctq) > 1 and ctq[1] & CTQ_CDCVM:
        ctx.terminal[0x9F34] = bytes.fromhex("010002")
        return "consumer_device", ""
    if ((ctq and ctq[0] & CTQ_SIGNATURE) or (required and not ctq)) and ttq[0] & TTQ_SIGNATURE:
        ctx.terminal[0x9F34] = bytes.fromhex("1E0000")
        return "signature", ""
    if required or (ctq and ctq[0] & (CTQ_ONLINE_PIN | CTQ_SIGNATURE)):
        return "failed", "the CVM the card asks for cannot be performed here"
    ctx.terminal[0x9F34] = bytes.fromhex("1F0002")
    return "no_cvm", ""


def _pan(ctx) -> str:
    if 0x5A in ctx.card:
        return ctx.card[0x5A].hex().upper().rstrip("F")
    return ctx.card.get(0x57, b"").hex().upper().split("D")[0]


def run(k, combo):
    ctx = k.ctx
    pdol = ctx.card.get(0x9F38)
    try:
        entries = parse_dol(pdol, "PDOL") if pdol else []
    except DolError as err:
        return KernelOutcome(SELECT_NEXT, Decision.ABORTED, str(err))
    if not any(tag == 0x9F66 for tag, _ in entries):
        return KernelOutcome(SELECT_NEXT, Decision.ABORTED, "the PDOL does not ask for the TTQ (9F66): not qVSDC")
    ctx.terminal[0x9F66] = combo.indicators.ttq
    ctx.pdol_data = build_dol_data(entries, ctx.values(), tags.fmt)
    resp = yield from exchange(ctx, apdu.get_processing_options(ctx.pdol_data))
    if resp.sw == 0x6984:
        return KernelOutcome(TRY_ANOTHER_INTERFACE, Decision.ABORTED, "GPO 6984: the card asks for another interface",
                             "insert_card", "contact")
    if resp.sw == apdu.SW_CONDITIONS_NOT_SATISFIED:
        return KernelOutcome(SELECT_NEXT, Decision.ABORTED, "GPO 6985")
    if resp.sw == 0x6986:
        return KernelOutcome(TRY_AGAIN, Decision.ABORTED, "see phone for instructions, then present it again",
                             "see_phone")
    if not resp.ok:
        return KernelOutcome(END_APPLICATION, Decision.ABORTED, f"GET PROCESSING OPTIONS answered {resp.sw:04X}")
    objs = parse_response(resp.data, "GET PROCESSING OPTIONS")
    if len(objs) != 1 or objs[0].tag != 0x77:
        return KernelOutcome(END_APPLICATION, Decision.ABORTED, "GET PROCESSING OPTIONS: not a qVSDC answer (77)")
    ctx.store_card(objs[0].children(), "GET PROCESSING OPTIONS")
    ctx.require(0x82, "GET PROCESSING OPTIONS")
    if 0x94 in ctx.card:
        yield from read_application_data(ctx, parse_afl(ctx.card[0x94]), mandatory=())
    for tag in MANDATORY:
        ctx.require(tag, "qVSDC data")
    cid = _cid(ctx)
    ctx.card[0x9F27] = bytes([cid])
    online_capable = ctx.config.online_capable and not ctx.terminal[0x9F66][0] & TTQ_OFFLINE_ONLY
    if cid == CID_AAC:
        return _declined(k, "card declined offline (AAC)")
    go_online, why = cid == CID_ARQC, ""
    if cid == CID_TC:
        for tag in MANDATORY_OFFLINE:
            ctx.require(tag, "qVSDC offline data")
        ctq = ctx.card.get(0x9F6C, b"\x00\x00")
        expiry = bcd_date(ctx.card[0x5F24])
        try:
            ctx.oda_method = "fdda"
            _fdda(ctx)
            ctx.tsi.set("oda_performed")
        except EmvError as err:
            ctx.tsi.set("oda_performed")
            ctx.tvr.set("dda_failed")
            ctx.oda_failure = str(err)
            if ctq[0] & CTQ_ONLINE_IF_ODA_FAILS and online_capable:
                go_online, why = True, f"fDDA failed ({err}): online"
            elif ctq[0] & CTQ_SWITCH_IF_ODA_FAILS:
                return KernelOutcome(TRY_ANOTHER_INTERFACE, Decision.ABORTED, f"fDDA failed: {err}", "insert_card",
                                     "contact")
            else:
                return _declined(k, f"fDDA failed: {err}")
        if not go_online and (expiry is None or ctx.txn.today > expiry):
            ctx.tvr.set("expired_application")
            if ctq[0] & CTQ_ONLINE_IF_EXPIRED and online_capable:
                go_online, why = True, "application expired: online"
            else:
                return _declined(k, "application expired")
    cvm, problem = yield from _cvm(k, combo, go_online)
    ctx.cvm = cvm
    if problem:
        if go_online:
            return _declined(k, problem, online=False)
        return KernelOutcome(TRY_ANOTHER_INTERFACE, Decision.ABORTED, problem, "insert_card", "contact")
    request55 = field55.build(ctx.values())
    k._request55 = request55
    if not go_online:
        ctx.terminal[0x8A] = b"Y1"
        k.outcome = k._outcome(Decision.OFFLINE_APPROVED, "", request55)
        return KernelOutcome(APPROVED, Decision.OFFLINE_APPROVED, "",
                             "approved_sign" if cvm == "signature" else "approved")
    if not online_capable:
        ctx.terminal[0x8A] = b"Z3"
        return _declined(k, "online required, but the reader is offline only")
    first = k._outcome(Decision.GO_ONLINE, why, request55)
    first.kernel, first.contactless_outcome, first.ui_request = "C-3", ONLINE_REQUEST, ui_text("remove_card")
    _, host = yield k.online_request(first)
    result = host_answered(k, host, request55, cvm, "host unreachable: a contactless ARQC cannot be approved offline")
    if host is not None:
        yield from issuer_update.deliver(k, host)
    return result


def _declined(k, reason: str, online: bool = False) -> KernelOutcome:
    ctx = k.ctx
    ctx.terminal.setdefault(0x8A, b"Z1")
    try:
        request55 = field55.build(ctx.values())
    except EmvError:
        request55 = b""
    k._request55 = request55
    k.outcome = k._outcome(Decision.OFFLINE_DECLINED, reason, request55)
    return KernelOutcome(DECLINED, Decision.OFFLINE_DECLINED, reason, "not_authorised")
