"""Terminal action analysis, EMV Book 3 section 10.7: TVR against Issuer and Terminal Action Codes -> which
cryptogram to ask for in the first GENERATE AC; and the default analysis used when the terminal cannot go online."""
from __future__ import annotations

from terminal.emv.apdu import P1_AAC, P1_ARQC, P1_TC
from terminal.emv.context import KernelContext

ALL_ONES = b"\xff" * 5


def _hits(tvr: bytes, *codes: bytes) -> bool:
    return any(t & c for code in codes for t, c in zip(tvr, code))


def action_codes(ctx: KernelContext) -> tuple[bytes, bytes, bytes]:
    """(denial, online, default) IACs; absent IAC-Denial is all zeros, absent online/default all ones."""
    card = ctx.card
    return (card.get(0x9F0E, bytes(5)), card.get(0x9F0F, ALL_ONES), card.get(0x9F0D, ALL_ONES))


def first_decision(ctx: KernelContext) -> int:
    tvr = bytes(ctx.tvr)
    iac_denial, iac_online, iac_default = action_codes(ctx)
    aid = ctx.aid
    if _hits(tvr, iac_denial, aid.tac_denial):
        return P1_AAC
    if ctx.config.online_capable:
        return P1_ARQC if _hits(tvr, iac_online, aid.tac_online) else P1_TC
    return P1_AAC if _hits(tvr, iac_default, aid.tac_default) else P1_TC


def default_decision(ctx: KernelContext) -> int:
    """Book 3 10.7 (unable to go online): TAC/IAC-Default decide between TC (Y3) and AAC (Z3)."""
    _, _, iac_default = action_codes(ctx)
    return P1_AAC if _hits(bytes(ctx.tvr), iac_default, ctx.aid.tac_default) else P1_TC
