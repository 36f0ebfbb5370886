"""Book C-2 (Mastercard contactless, M/Chip mode) as the Entry Point activates it, after the final SELECT.

    GET PROCESSING OPTIONS with the PDOL data   (SW other than 9000 -> Select Next)
    READ RECORD per AFL                          (5A, 5F24, 8C mandatory)
    ODA: CDA only (the card's signature comes on GENERATE AC); processing restrictions (Book 3 10.4)
    CVM: at or above the reader CVM required limit, the card's CVM list limited to what a contactless reader
         can do (online PIN, signature); below it no CVM (Book C-2 'CVM capability - no CVM required')
    terminal risk: the reader contactless floor limit (pre-processing) sets TVR 'floor limit exceeded'
    terminal action analysis (TAC/IAC) -> one GENERATE AC with CDA:
        ARQC -> Online Request (outcome parameter set 'online request'), the host's answer is the outcome;
                no second GENERATE AC; no host -> declined (Z3)
        TC   -> Approved (Y1);  AAC or CDA failed -> Declined (Z1)
The legacy mag-stripe mode of Book C-2 (COMPUTE CRYPTOGRAPHIC CHECKSUM, track data with dynamic CVC3) is not
implemented: the scheme retired it for new cards, and a card that offers only it ends the application here."""
from __future__ import annotations

from drivers.emvspec.dol import build_dol_data, parse_dol
from terminal.emv import apdu, field55, tags
from terminal.emv.contactless.outcomes import (APPROVED, DECLINED, END_APPLICATION, ONLINE_REQUEST, SELECT_NEXT,
                                               KernelOutcome, host_answered, ui_text)
from terminal.emv.context import exchange, parse_response
from terminal.emv.cvm import parse_cvm_list
from terminal.emv.genac import CID_AAC, CID_TC, generate_ac
from terminal.emv.gpo import parse_afl
from terminal.emv.offline_auth import authenticate
from terminal.emv.outcome import Decision
from terminal.emv.prompts import PinPrompt
from terminal.emv.records import read_application_data
from terminal.emv.restrictions import check_restrictions
from terminal.emv.taa import first_decision

ONLINE_PIN_CODES, SIGNATURE_CODES, NO_CVM = (0x02,), (0x1E,), 0x1F


def _cvm(k, combo):
    ctx = k.ctx
    if not combo.indicators.cvm_required:
        ctx.terminal[0x9F34] = bytes.fromhex("3F0000")
        return "no_cvm", ""
    cvm_list = ctx.card.get(0x8E)
    rules = parse_cvm_list(cvm_list)[2] if cvm_list else []
    for rule in rules:
        method = rule.code & 0x3F
        if method in ONLINE_PIN_CODES:
            if not k._pin_entry:
                continue
            block = yield PinPrompt("online", None, pan=ctx.card[0x5A].hex().upper().rstrip("F"))
            if block is None:
                ctx.tvr.set("pin_not_entered")
                continue
            ctx.pin_block = block
            ctx.tvr.set("online_pin_entered")
            ctx.terminal[0x9F34] = bytes([rule.code, rule.condition, 0x00])
            return "online_pin", ""
        if method in SIGNATURE_CODES:
            ctx.terminal[0x9F34] = bytes([rule.code, rule.condition, 0x00])
            return "signature", ""
        if method == NO_CVM:
            ctx.terminal[0x9F34] = bytes([rule.code, rule.condition, 0x02])
            return "no_cvm", ""
    ctx.tvr.set("cvm_not_successful")
    ctx.terminal[0x9F34] = bytes.fromhex("3F0001")
    return "failed", ""


def run(k, combo):
    ctx = k.ctx
    pdol = ctx.card.get(0x9F38)
    ctx.pdol_data = build_dol_data(parse_dol(pdol, "PDOL"), ctx.values(), tags.fmt) if pdol else b""
    resp = yield from exchange(ctx, apdu.get_processing_options(ctx.pdol_data))
    if not resp.ok:
        return KernelOutcome(SELECT_NEXT, Decision.ABORTED, f"GET PROCESSING OPTIONS answered {resp.sw:04X}")
    objs = parse_response(resp.data, "GET PROCESSING OPTIONS")
    if len(objs) != 1 or objs[0].tag not in (0x77, 0x80):
        return KernelOutcome(END_APPLICATION, Decision.ABORTED, "GET PROCESSING OPTIONS: neither 77 nor 80")
    if objs[0].tag == 0x80:
        ctx.card[0x82], ctx.card[0x94] = objs[0].value[:2], objs[0].value[2:]
    else:
        ctx.store_card(objs[0].children(), "GET PROCESSING OPTIONS")
    ctx.require(0x82, "GET PROCESSING OPTIONS")
    if not ctx.card[0x82][1] & 0x80 and not ctx.card[0x82][0] & 0x01:
        # AIP byte 2 b8 'EMV mode supported' (Book C-2) clear and no CDA: a mag-stripe-only card
        return KernelOutcome(END_APPLICATION, Decision.ABORTED, "mag-stripe mode only (not implemented)",
                             "insert_swipe_other", "contact")
    yield from read_application_data(ctx, parse_afl(ctx.require(0x94, "GET PROCESSING OPTIONS")),
                                     mandatory=(0x5A, 0x5F24, 0x8C))
    yield from authenticate(ctx)
    check_restrictions(ctx)
    ctx.cvm, _ = yield from _cvm(k, combo)
    if combo.indicators.floor_limit_exceeded:
        ctx.tvr.set("floor_limit_exceeded")
    ctx.tsi.set("terminal_risk_management_performed")
    first = yield from generate_ac(ctx, first_decision(ctx), second=False)
    ctx.tsi.set("card_risk_management_performed")
    request55 = field55.build(ctx.values())
    k._request55 = request55
    if first.cda_ok is False:
        ctx.terminal[0x8A] = b"Z1"
        k.outcome = k._outcome(Decision.OFFLINE_DECLINED, "CDA failed: " + ctx.oda_failure, request55)
        return KernelOutcome(DECLINED, Decision.OFFLINE_DECLINED, "", "not_authorised")
    if first.kind == CID_TC:
        ctx.terminal[0x8A] = b"Y1"
        k.outcome = k._outcome(Decision.OFFLINE_APPROVED, "", request55)
        return KernelOutcome(APPROVED, Decision.OFFLINE_APPROVED, "",
                             "approved_sign" if ctx.cvm == "signature" else "approved")
    if first.kind == CID_AAC:
        ctx.terminal[0x8A] = b"Z1"
        k.outcome = k._outcome(Decision.OFFLINE_DECLINED, "card declined offline (AAC)", request55)
        return KernelOutcome(DECLINED, Decision.OFFLINE_DECLINED, "", "not_authorised")
    online = k._outcome(Decision.GO_ONLINE, "", request55)
    online.kernel, online.contactless_outcome, online.ui_request = "C-2", ONLINE_REQUEST, ui_text("remove_card")
    host = None
    if ctx.config.online_capable:
        _, host = yield k.online_request(online)
    return host_answered(k, host, request55, ctx.cvm, "host unreachable: no second GENERATE AC in Book C-2, an "
                         "ARQC cannot be approved offline")
