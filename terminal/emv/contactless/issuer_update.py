"""Book C-3 issuer update processing: the issuer's answer to a qVSDC online request reaches the card on a
second presentation, because the card left the field after GET PROCESSING OPTIONS ('Card read OK, remove card').

    offered when   the reader said so (TTQ byte 3 b8, set per AID: AidConfig.issuer_update)
             and   the card said so (CTQ byte 2 b7 'card supports issuer update processing at the POS')
             and   the answer carries issuer authentication data (91) and/or issuer scripts (71, 72)
    then           'Present card again' (PresentCardAgain, answered by kernel.card_presented_again)
                   SELECT the same AID; EXTERNAL AUTHENTICATE with 91 when present; the commands of every 71
                   template, then of every 72 template (no final GENERATE AC here: both run after the
                   issuer authentication, 71 first as its name says), results in 9F5B
    not presented  the host's decision stands: nothing reaches the card; each script counts 'not performed'

The host's decision is taken before the second tap and never changes with it: the card cannot answer with a
cryptogram any more (there is no GENERATE AC in qVSDC), so a failed EXTERNAL AUTHENTICATE or script only sets
the TVR bits and 9F5B, which the journal keeps (docs/decisions.md: the dialect has no message for them)."""
from __future__ import annotations

from drivers.emvspec.ber_tlv import Tlv
from drivers.emvspec.errors import TlvError
from terminal.emv import apdu
from terminal.emv.context import exchange
from terminal.emv.contactless.outcomes import ui_text
from terminal.emv.issuer import HostResponse, IssuerData, run_scripts, split_issuer_data
from terminal.emv.outcome import Outcome
from terminal.emv.prompts import PresentCardAgain

TTQ_ISSUER_UPDATE = 0x80          # TTQ (9F66) byte 3 b8
CTQ_ISSUER_UPDATE = 0x40          # CTQ (9F6C) byte 2 b7
NOT_PERFORMED = 0x00              # 9F5B byte 1, high nibble: script not performed


def offered(ctx) -> bool:
    """Both sides said they do issuer update processing in this transaction."""
    ttq, ctq = ctx.terminal.get(0x9F66, b""), ctx.card.get(0x9F6C, b"")
    return len(ttq) > 2 and bool(ttq[2] & TTQ_ISSUER_UPDATE) and len(ctq) > 1 and bool(ctq[1] & CTQ_ISSUER_UPDATE)


def has_update(data: IssuerData) -> bool:
    return data.auth_data is not None or bool(data.scripts_before or data.scripts_after)


def deliver(k, host: HostResponse):
    """After `host_answered` has set k.outcome: ask for the card again and deliver the issuer's data. The
    outcome's decision and reason stay the host's; what reached the card goes into TVR, TSI, 9F5B and
    `Outcome.issuer_update`."""
    ctx = k.ctx
    data = split_issuer_data(host.issuer_data)
    if not offered(ctx) or not has_update(data):
        return
    decision, reason = k.outcome.decision, k.outcome.reason
    k.outcome = None
    k._settled = (decision, reason)          # a card error from here on keeps the host's decision (card_error)
    present = yield PresentCardAgain(ui_text("present_again"), ctx.selected_aid)
    if not present:
        for script in (*data.scripts_before, *data.scripts_after):
            ctx.script_results += bytes([NOT_PERFORMED]) + _script_id(script)
        _settle(k, decision, reason, "not delivered: the card was not presented again")
        return
    resp = yield from exchange(ctx, apdu.select(ctx.selected_aid))
    if not resp.ok:
        _settle(k, decision, reason, f"not delivered: SELECT on the second tap answered {resp.sw:04X}")
        return
    done = []
    if data.auth_data is not None:
        ctx.terminal[0x91] = data.auth_data
        ctx.tsi.set("issuer_authentication_performed")
        resp = yield from exchange(ctx, apdu.external_authenticate(data.auth_data))
        if not resp.ok:
            ctx.tvr.set("issuer_authentication_failed")
        done.append(f"EXTERNAL AUTHENTICATE {resp.sw:04X}")
    yield from run_scripts(ctx, data.scripts_before, after_final=False)
    yield from run_scripts(ctx, data.scripts_after, after_final=True)
    if ctx.script_results:
        done.append(f"9F5B {bytes(ctx.script_results).hex().upper()}")
    _settle(k, decision, reason, "delivered on the second tap: " + ", ".join(done))


def interrupted(outcome: Outcome, why: str) -> None:
    """The card left (or the reader failed) during the second tap: the host's decision stands."""
    outcome.kernel = "C-3"
    outcome.contactless_outcome = "approved" if outcome.decision.approved else "declined"
    outcome.issuer_update = f"interrupted: {why}"


def _settle(k, decision, reason: str, note: str) -> None:
    k.outcome = k._outcome(decision, reason, k._request55)
    k.outcome.issuer_update = note


def _script_id(script: Tlv) -> bytes:
    try:
        return next((c.value for c in script.children() if c.tag == 0x9F18), bytes(4))[:4].rjust(4, b"\x00")
    except TlvError:   # a malformed template: its result names no script
        return bytes(4)
