"""The contactless Entry Point, EMV Book B: pre-processing (3.1), combination selection from the PPSE (3.3),
kernel activation (3.4) and outcome processing (3.5). Protocol activation and collision detection (3.2) are
the reader's (Book D): by the time the kernel runs, exactly one card is in the field.

Pre-processing, per combination of AID and kernel, against the AID's limits (terminal/emv/config.py AidConfig):
  amount >= contactless transaction limit      -> combination not allowed
  amount > contactless floor limit             -> floor limit exceeded: TTQ 'online cryptogram required'
  amount >= CVM required limit                 -> TTQ 'CVM required'
  zero amount (not allowed) / status check     -> not allowed / online cryptogram required
  the AID offers issuer update processing      -> TTQ byte 3 b8 'issuer update processing supported'
When no combination is allowed the outcome is Try Another Interface ('Insert, swipe or try another card').

Combination selection: SELECT PPSE; each directory entry (61) with ADF name 4F, priority 87, Kernel Identifier
9F2A (absent or 00: the kernel of the AID's RID, Book B Table 3-6), Extended Selection 9F29; kept when the
terminal supports the AID and that kernel; ordered by priority, then as listed; final SELECT of the first
(with its extended selection appended). A failed SELECT, or a kernel's Select Next outcome, removes it and
takes the next one. An empty list ends the application ('Insert, swipe or try another card')."""
from __future__ import annotations

from dataclasses import dataclass

from drivers.emvspec.ber_tlv import find, find_all
from terminal.emv import apdu
from terminal.emv.config import AidConfig
from terminal.emv.context import exchange, parse_response
from terminal.emv.contactless import kernel_c2, kernel_c3
from terminal.emv.contactless.outcomes import (END_APPLICATION, SELECT_NEXT, TRY_ANOTHER_INTERFACE, KernelOutcome,
                                               ui_text)
from terminal.emv.outcome import Decision
from terminal.emv.selection import PPSE, take_fci_names

# Book B Table 3-6: the kernel of an AID whose directory entry names none
KERNEL_OF_RID = {"A000000003": 3, "A000000004": 2, "A000000025": 4, "A000000065": 5, "A000000152": 6,
                 "A000000333": 7}
KERNELS = {2: kernel_c2, 3: kernel_c3}
KERNEL_NAMES = {2: "C-2", 3: "C-3"}
TTQ_ONLINE_REQUIRED, TTQ_CVM_REQUIRED = 0x80, 0x40          # TTQ byte 2
TTQ_ISSUER_UPDATE = 0x80                                    # TTQ byte 3 b8: issuer update processing supported


@dataclass(frozen=True)
class Indicators:
    """Book B 3.1.1: the pre-processing indicators of one AID's configuration."""
    not_allowed: bool
    floor_limit_exceeded: bool
    cvm_required: bool
    online_required: bool
    ttq: bytes


@dataclass(frozen=True)
class Combination:
    aid: bytes
    label: str
    priority: int
    kernel_id: int
    extended_selection: bytes
    config: AidConfig
    indicators: Indicators


def pre_process(aid: AidConfig, amount: int) -> Indicators:
    floor = aid.cl_floor_limit if aid.cl_floor_limit is not None else aid.floor_limit
    not_allowed = aid.cl_transaction_limit is not None and amount >= aid.cl_transaction_limit
    online = False
    if amount == 0:
        not_allowed = not_allowed or not aid.zero_amount_allowed
        online = True
    if aid.status_check and amount == 1:
        online = True
    floor_exceeded = amount > floor
    cvm = aid.cl_cvm_limit is not None and amount >= aid.cl_cvm_limit
    ttq = bytearray(aid.ttq.ljust(4, b"\x00"))
    ttq[1] &= ~(TTQ_ONLINE_REQUIRED | TTQ_CVM_REQUIRED) & 0xFF
    if online or floor_exceeded:
        ttq[1] |= TTQ_ONLINE_REQUIRED
    if cvm:
        ttq[1] |= TTQ_CVM_REQUIRED
    ttq[2] &= ~TTQ_ISSUER_UPDATE & 0xFF          # promised only when configured: a card would count on it
    if aid.issuer_update:
        ttq[2] |= TTQ_ISSUER_UPDATE
    return Indicators(not_allowed, floor_exceeded, cvm, online or floor_exceeded, bytes(ttq))


def requested_kernel(entry_kernel: bytes, aid: bytes) -> int:
    """Book B 3.3.2.5: the first byte of 9F2A when its bits 8-7 say 'international/EMV kernel' (00b/01b) and it
    is not 0; else the kernel of the AID's RID. A domestic kernel (10b/11b) is not one of ours: 0."""
    if entry_kernel and entry_kernel[0] & 0xC0 in (0x00, 0x40) and entry_kernel[0] & 0x3F:
        return entry_kernel[0] & 0x3F
    if entry_kernel and entry_kernel[0] & 0x80:
        return 0
    return KERNEL_OF_RID.get(aid[:5].hex().upper(), 0)


def _ppse(k):
    ctx = k.ctx
    resp = yield from exchange(ctx, apdu.select(PPSE))
    if not resp.ok:
        return []
    fci = parse_response(resp.data, "SELECT PPSE")
    if not fci or fci[0].tag != 0x6F:
        return []
    return find_all(fci, 0x61)


def _combinations(k, entries) -> tuple[list[Combination], bool]:
    """The candidate list, and whether a supported combination was left out for its limits."""
    ctx = k.ctx
    found = []
    limited = False
    for order, entry in enumerate(entries):
        objs = entry.children()
        adf = find(objs, 0x4F)
        if adf is None or not 5 <= len(adf.value) <= 16:
            continue
        kernel = requested_kernel(find(objs, 0x9F2A).value if find(objs, 0x9F2A) else b"", adf.value)
        for aid in ctx.config.aids:
            if not (adf.value == aid.aid or (aid.partial and adf.value.startswith(aid.aid))):
                continue
            if kernel not in KERNELS or (aid.kernel_id and aid.kernel_id != kernel):
                continue
            ind = pre_process(aid, ctx.txn.amount)
            if ind.not_allowed:
                limited = True
                continue
            label = find(objs, 0x50)
            api = find(objs, 0x87)
            priority = (api.value[0] & 0x0F if api and api.value else 0) or 16
            ext = find(objs, 0x9F29)
            found.append((priority, order, Combination(adf.value, label.value.decode("ascii", "replace").strip()
                                                       if label else "", priority, kernel,
                                                       ext.value if ext else b"", aid, ind)))
            break
    return [c for _, _, c in sorted(found, key=lambda t: t[:2])], limited


def run(k):
    """The Entry Point's flow inside EmvKernel `k`: sets k.outcome (never raises EmvError past the kernel's
    own guard, which turns it into ABORTED)."""
    ctx = k.ctx
    entries = yield from _ppse(k)
    candidates, limited = _combinations(k, entries)
    if not candidates and limited:
        return _end(k, KernelOutcome(TRY_ANOTHER_INTERFACE, Decision.ABORTED,
                                     "amount at or over every contactless transaction limit",
                                     "insert_swipe_other", "contact"))
    while candidates:
        combo = candidates.pop(0)
        resp = yield from exchange(ctx, apdu.select(combo.aid + combo.extended_selection))
        if not resp.ok:
            continue
        fci = parse_response(resp.data, f"final SELECT {combo.aid.hex().upper()}")
        if not fci or fci[0].tag != 0x6F:
            continue
        ctx.card.clear()
        ctx.store_card(fci, "FCI", unique=False)
        ctx.selected_aid = combo.aid
        ctx.aid = combo.config
        take_fci_names(ctx, fci, combo.label)
        ctx.terminal[0x9F09] = combo.config.app_version
        ctx.terminal[0x9F1B] = combo.config.floor_limit.to_bytes(4, "big")
        result = yield from KERNELS[combo.kernel_id].run(k, combo)
        if result.kind == SELECT_NEXT:
            continue
        return _end(k, result, KERNEL_NAMES[combo.kernel_id])
    return _end(k, KernelOutcome(END_APPLICATION, Decision.ABORTED, "no contactless application on the card is "
                                 "supported by this terminal", "insert_swipe_other", "contact"))


def _end(k, result: KernelOutcome, kernel: str = ""):
    if k.outcome is None:
        k.outcome = k._outcome(result.decision, result.reason or result.kind.replace("_", " "),
                               k._request55)
    k.outcome.kernel = kernel
    k.outcome.contactless_outcome = result.kind
    k.outcome.ui_request = ui_text(result.ui)
    k.outcome.alternate_interface = result.alternate_interface
    if result.kind in (TRY_ANOTHER_INTERFACE, END_APPLICATION) and result.alternate_interface:
        k.outcome.reason += "; insert or swipe the card"
    return None
