"""Terminal risk management, EMV Book 3 section 10.6: the terminal exception file (Book 4), floor limit,
random transaction selection and velocity checking (9F14/9F23 against ATC and Last Online ATC Register read by
GET DATA)."""
from __future__ import annotations

import secrets

from terminal.emv.context import KernelContext, Phase, get_data
from terminal.emv.records import card_pan


def random_selection(amount: int, floor: int, threshold: int, target: int, max_target: int, draw: int) -> bool:
    """Book 3 10.6.2. `draw` is a number 1..99. Below the threshold: selected when draw <= target percentage;
    between threshold and floor limit the percentage rises linearly to the maximum target percentage."""
    if amount >= floor:
        return False
    if amount < threshold:
        return draw <= target
    span = floor - threshold
    percent = target + (max_target - target) * (amount - threshold) / span if span > 0 else max_target
    return draw <= percent


def _get_counter(ctx: KernelContext, tag: int) -> Phase[int | None]:
    value = yield from get_data(ctx, tag)
    return int.from_bytes(value, "big") if value is not None and len(value) == 2 else None


def risk_management(ctx: KernelContext) -> Phase[None]:
    aid = ctx.aid
    amount = ctx.txn.amount
    ctx.tsi.set("terminal_risk_management_performed")
    pan = card_pan(ctx.card)
    if ctx.txn.on_exception_file is not None and pan and ctx.txn.on_exception_file(pan):
        ctx.tvr.set("card_on_exception_file")
    if amount >= aid.floor_limit:
        ctx.tvr.set("floor_limit_exceeded")
    if aid.random_target_percent or aid.random_max_target_percent:
        draw = ctx.txn.random_percent() if ctx.txn.random_percent else secrets.randbelow(99) + 1
        if random_selection(amount, aid.floor_limit, aid.random_threshold, aid.random_target_percent,
                            aid.random_max_target_percent, draw):
            ctx.tvr.set("random_online")
    if ctx.txn.force_online:
        ctx.tvr.set("merchant_forced_online")
    lower, upper = ctx.card.get(0x9F14), ctx.card.get(0x9F23)
    if lower is None or upper is None:
        return
    atc = yield from _get_counter(ctx, 0x9F36)
    last_online = yield from _get_counter(ctx, 0x9F13)
    if atc is None or last_online is None:
        ctx.tvr.set("lower_consecutive_limit_exceeded")
        ctx.tvr.set("upper_consecutive_limit_exceeded")
        return
    if last_online == 0:
        ctx.tvr.set("new_card")
    offline_count = atc - last_online
    if offline_count > lower[0]:
        ctx.tvr.set("lower_consecutive_limit_exceeded")
    if offline_count > upper[0]:
        ctx.tvr.set("upper_consecutive_limit_exceeded")
