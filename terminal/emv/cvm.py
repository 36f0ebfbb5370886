"""Cardholder verification, EMV Book 3 section 10.5 and Annex C3: walk the CVM List (8E), test each rule's
condition, perform the first applicable CVM the terminal supports, honour 'apply succeeding rule if this fails',
and record CVM Results (9F34). Offline PIN goes to the card by VERIFY; online PIN becomes the field 52 block."""
from __future__ import annotations

from dataclasses import dataclass

from terminal.emv import apdu
from terminal.emv.context import KernelContext, Phase, exchange, get_data
from terminal.emv.errors import CardDataError, OdaError
from terminal.emv.offline_auth import recover_icc_key
from terminal.emv.prompts import PinPrompt

FAIL_CVM, PLAIN_PIN, ONLINE_PIN, PLAIN_PIN_SIG, ENC_PIN, ENC_PIN_SIG = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05
SIGNATURE, NO_CVM = 0x1E, 0x1F
CVM_NAMES = {FAIL_CVM: "fail", PLAIN_PIN: "offline_pin", ONLINE_PIN: "online_pin", PLAIN_PIN_SIG: "offline_pin+signature",
             ENC_PIN: "enciphered_offline_pin", ENC_PIN_SIG: "enciphered_offline_pin+signature",
             SIGNATURE: "signature", NO_CVM: "no_cvm"}
# Terminal Capabilities byte 2 bit for each CVM (Book 4 Annex A2)
TERMINAL_SUPPORT = {PLAIN_PIN: 0x80, ONLINE_PIN: 0x40, SIGNATURE: 0x20, ENC_PIN: 0x10, NO_CVM: 0x08,
                    PLAIN_PIN_SIG: 0xA0, ENC_PIN_SIG: 0x30}
UNKNOWN, FAILED, SUCCESSFUL = 0x00, 0x01, 0x02


@dataclass(frozen=True)
class CvRule:
    method: int
    continue_on_fail: bool
    condition: int

    @property
    def code(self) -> int:
        return (0x40 if self.continue_on_fail else 0) | self.method


def parse_cvm_list(data: bytes) -> tuple[int, int, list[CvRule]]:
    if len(data) < 8 or (len(data) - 8) % 2:
        raise CardDataError(f"CVM List (8E) of {len(data)} bytes is malformed")
    x, y = int.from_bytes(data[0:4], "big"), int.from_bytes(data[4:8], "big")
    rules = [CvRule(data[i] & 0x3F, bool(data[i] & 0x40), data[i + 1]) for i in range(8, len(data), 2)]
    return x, y, rules


def _supported(ctx: KernelContext, method: int) -> bool:
    mask = TERMINAL_SUPPORT.get(method)
    return mask is not None and ctx.config.capabilities[1] & mask == mask


def condition_met(ctx: KernelContext, rule: CvRule, x: int, y: int) -> bool | None:
    """Annex C3 conditions; None when the condition code is not understood (skip the rule)."""
    cond, amount = rule.condition, ctx.txn.amount
    ttype = ctx.txn.transaction_type
    same_currency = ctx.card.get(0x9F42, b"").hex().lstrip("0") == ctx.config.currency_code.lstrip("0")
    table = {
        0x00: True,
        0x01: ttype == 0x01 and ctx.config.terminal_type in (0x14, 0x15, 0x16),   # unattended cash
        0x02: ttype not in (0x01, 0x09, 0x17),
        0x03: _supported(ctx, rule.method),
        0x04: ttype == 0x17,                                                       # manual cash
        0x05: ttype == 0x09,                                                       # purchase with cashback
        0x06: same_currency and amount < x,
        0x07: same_currency and amount > x,
        0x08: same_currency and amount < y,
        0x09: same_currency and amount > y,
    }
    return table.get(cond)


def _results(ctx: KernelContext, rule: CvRule | None, result: int) -> None:
    ctx.terminal[0x9F34] = (bytes([rule.code, rule.condition]) if rule else b"\x3f\x00") + bytes([result])


def _pin_try_counter(ctx: KernelContext) -> Phase[int | None]:
    value = yield from get_data(ctx, 0x9F17)
    return value[0] if value is not None and len(value) == 1 else None


def _offline_pin(ctx: KernelContext, pin_entry: bool, enciphered: bool) -> Phase[bool]:
    """Book 3 10.5.1: PIN try counter, PIN entry, VERIFY until success, no more tries or no PIN."""
    if not pin_entry or not ctx.config.pin_pad_present:
        ctx.tvr.set("pin_pad_not_working")
        return False
    tries = yield from _pin_try_counter(ctx)
    if tries == 0:
        ctx.tvr.set("pin_try_limit_exceeded")
        return False
    key = None
    if enciphered:
        try:
            key = ctx.icc_key or recover_icc_key(ctx)
        except (OdaError, CardDataError):
            return False
    while True:
        if enciphered:
            resp = yield from exchange(ctx, apdu.get_challenge())
            if not resp.ok or len(resp.data) != 8:
                return False
            block = yield PinPrompt("offline_enciphered", tries, modulus=key.modulus, exponent=key.exponent,
                                    challenge=resp.data)
        else:
            block = yield PinPrompt("offline_plaintext", tries)
        if block is None:
            ctx.tvr.set("pin_not_entered")
            return False
        resp = yield from exchange(ctx, apdu.verify(block, enciphered))
        del block
        if resp.ok:
            return True
        if resp.sw & 0xFFF0 == 0x63C0:
            tries = resp.sw & 0x0F
            if tries == 0:
                ctx.tvr.set("pin_try_limit_exceeded")
                return False
            continue
        if resp.sw in (apdu.SW_AUTH_METHOD_BLOCKED, apdu.SW_REF_DATA_INVALIDATED):
            ctx.tvr.set("pin_try_limit_exceeded")
            return False
        raise CardDataError(f"VERIFY: unexpected SW {resp.sw:04X}")


def _perform(ctx: KernelContext, rule: CvRule, pin_entry: bool) -> Phase[int]:
    """Returns SUCCESSFUL, FAILED or UNKNOWN (signature and online PIN are verified later by people/issuer)."""
    method = rule.method
    if method == FAIL_CVM:
        return FAILED
    if method == NO_CVM:
        return SUCCESSFUL
    if method == SIGNATURE:
        return UNKNOWN
    if method == ONLINE_PIN:
        if not pin_entry or not ctx.config.pin_pad_present:
            ctx.tvr.set("pin_pad_not_working")
            return FAILED
        block = yield PinPrompt("online", None, pan=ctx.card[0x5A].hex().upper().rstrip("F"))
        if block is None:
            ctx.tvr.set("pin_not_entered")
            return FAILED
        ctx.pin_block = block
        ctx.tvr.set("online_pin_entered")
        return UNKNOWN
    if method in (PLAIN_PIN, PLAIN_PIN_SIG, ENC_PIN, ENC_PIN_SIG):
        ok = yield from _offline_pin(ctx, pin_entry, enciphered=method in (ENC_PIN, ENC_PIN_SIG))
        if not ok:
            return FAILED
        return UNKNOWN if method in (PLAIN_PIN_SIG, ENC_PIN_SIG) else SUCCESSFUL
    return FAILED


def verify_cardholder(ctx: KernelContext, pin_entry: bool) -> Phase[None]:
    aip = ctx.card[0x82][0]
    if not aip & 0x10:                       # AIP b5: cardholder verification is supported
        _results(ctx, None, UNKNOWN)
        return
    cvm_list = ctx.card.get(0x8E)
    if not cvm_list:
        ctx.tvr.set("icc_data_missing")
        _results(ctx, None, UNKNOWN)
        return
    x, y, rules = parse_cvm_list(cvm_list)
    ctx.tsi.set("cvm_performed")
    last: CvRule | None = None
    for rule in rules:
        met = condition_met(ctx, rule, x, y)
        if not met:
            continue
        last = rule
        if rule.method not in CVM_NAMES:
            ctx.tvr.set("unrecognised_cvm")
            if rule.continue_on_fail:
                continue
            break
        if rule.method != FAIL_CVM and not _supported(ctx, rule.method):
            if rule.continue_on_fail:
                continue
            break
        result = yield from _perform(ctx, rule, pin_entry)
        if result != FAILED:
            ctx.cvm = CVM_NAMES[rule.method]
            _results(ctx, rule, result)
            return
        if not rule.continue_on_fail:
            break
    ctx.tvr.set("cvm_not_successful")
    ctx.cvm = "failed"
    if last is None:
        _results(ctx, None, FAILED)
    else:
        _results(ctx, last, FAILED)
