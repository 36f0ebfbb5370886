"""Application selection, EMV Book 1 section 12 (contact) and the PPSE of Book B (contactless):
PSE directory -> else the terminal's AID list (with partial matching and SELECT next) -> candidate list sorted by
priority -> cardholder choice/confirmation through an injected callback -> final SELECT.
Blocked applications (SW 6283) never become candidates."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from drivers.emvspec.ber_tlv import Tlv, find, find_all
from terminal.emv import apdu
from terminal.emv.context import KernelContext, Phase, exchange, parse_response
from terminal.emv.errors import CardDataError, CardStatusError, EmvError
from terminal.emv.prompts import ApplicationChoice

PSE = b"1PAY.SYS.DDF01"
PPSE = b"2PAY.SYS.DDF01"


@dataclass(frozen=True)
class Candidate:
    aid: bytes
    label: str
    priority: int              # 1 highest .. 15 lowest; 0 = no priority given
    needs_confirmation: bool   # Application Priority Indicator bit 8 (Book 1 12.2.3)

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.priority or 16, 0)


class NoApplicationError(EmvError):
    """No application on the card that the terminal supports (or all were blocked/refused)."""


# Callback the keypad FSM answers: given the candidates (already in priority order), return the index chosen,
# or None when the cardholder declines / cancels. Also called with a single candidate that needs confirmation.
ChooseApplication = Callable[[list[Candidate]], "int | None"]


def supported_code_tables(additional_capabilities: bytes) -> set[int]:
    """ISO 8859 parts the terminal can show: 9F40 byte 5 bits 1-8 are tables 1-8, byte 4 bits 1-2 tables 9-10
    (Book 4 Annex A3)."""
    caps = additional_capabilities.ljust(5, b"\x00")
    tables = {n + 1 for n in range(8) if caps[4] >> n & 1}
    return tables | {n + 9 for n in range(2) if caps[3] >> n & 1}


def display_name(objs: list[Tlv], code_tables: set[int]) -> str:
    """Book 1 12.2.4 / 12.4: the Application Preferred Name (9F12) when the Issuer Code Table Index (9F11) names
    a code table the terminal supports, else the Application Label (50); '' when neither is there."""
    label, preferred, table = find(objs, 0x50), find(objs, 0x9F12), find(objs, 0x9F11)
    if preferred and table and len(table.value) == 1 and table.value[0] in code_tables:
        return preferred.value.decode("latin-1").strip()
    return label.value.decode("ascii", "replace").strip() if label else ""


def _candidate_from(entry: list[Tlv] | Tlv, aid: bytes, code_tables: set[int] = frozenset()) -> Candidate:
    objs = entry.children() if isinstance(entry, Tlv) else entry
    api = find(objs, 0x87)
    api_value = api.value[0] if api and api.value else 0
    return Candidate(aid, display_name(objs, code_tables), api_value & 0x0F, bool(api_value & 0x80))


def _tables(ctx: KernelContext) -> set[int]:
    return supported_code_tables(ctx.config.additional_capabilities)


def _supported(ctx: KernelContext, aid: bytes) -> bool:
    return any(aid == a.aid or (a.partial and aid.startswith(a.aid)) for a in ctx.config.aids)


def _parse_fci(data: bytes, where: str) -> list[Tlv]:
    objs = parse_response(data, where)
    if not objs or objs[0].tag != 0x6F:
        raise CardDataError(f"{where}: FCI template 6F missing")
    return objs


def _directory_entries(ctx: KernelContext, sfi: int) -> Phase[list[Tlv]]:
    entries: list[Tlv] = []
    for record in range(1, 256):
        resp = yield from exchange(ctx, apdu.read_record(sfi, record))
        if resp.sw == apdu.SW_RECORD_NOT_FOUND:
            break
        if not resp.ok:
            raise CardStatusError(f"READ RECORD {sfi}.{record} of the PSE", resp.sw)
        objs = parse_response(resp.data, f"PSE record {sfi}.{record}")
        if not objs or objs[0].tag != 0x70:
            raise CardDataError(f"PSE record {sfi}.{record}: template 70 missing")
        entries.extend(find_all(objs, 0x61))
    return entries


def _from_directory(ctx: KernelContext, entries: list[Tlv]) -> list[Candidate]:
    out = []
    for entry in entries:
        adf = find(entry.children(), 0x4F)
        if adf and _supported(ctx, adf.value):
            out.append(_candidate_from(entry, adf.value, _tables(ctx)))
    return out


def _pse(ctx: KernelContext) -> Phase[list[Candidate] | None]:
    """Book 1 12.3.2. None means 'use the list of AIDs'. Raises when the card itself is blocked (6A81)."""
    resp = yield from exchange(ctx, apdu.select(PSE))
    if resp.sw == apdu.SW_FUNCTION_NOT_SUPPORTED:
        raise CardStatusError("SELECT PSE (card blocked or command not supported)", resp.sw)
    if not resp.ok:
        return None
    fci = _parse_fci(resp.data, "SELECT PSE")
    sfi = find(fci, 0x88)
    if sfi is None or len(sfi.value) != 1:
        return None
    if not 1 <= sfi.value[0] <= 10:
        raise CardDataError(f"SELECT PSE: directory SFI {sfi.value[0]} outside 1-10 (Book 1 12.2.2)")
    entries = yield from _directory_entries(ctx, sfi.value[0])
    return _from_directory(ctx, entries)


def _ppse(ctx: KernelContext) -> Phase[list[Candidate]]:
    resp = yield from exchange(ctx, apdu.select(PPSE))
    if not resp.ok:
        raise NoApplicationError(f"SELECT PPSE answered {resp.sw:04X}: no contactless application")
    fci = _parse_fci(resp.data, "SELECT PPSE")
    return _from_directory(ctx, find_all(fci, 0x61))


def _aid_list(ctx: KernelContext) -> Phase[list[Candidate]]:
    """Book 1 12.3.3: SELECT each terminal AID; on a partial match keep asking for the next occurrence."""
    found: list[Candidate] = []
    for entry in ctx.config.aids:
        first = True
        for _ in range(16):
            resp = yield from exchange(ctx, apdu.select(entry.aid, first=first))
            first = False
            if resp.sw not in (apdu.SW_OK, apdu.SW_APP_BLOCKED):
                break
            fci = _parse_fci(resp.data, f"SELECT {entry.aid.hex().upper()}")
            df = find(fci, 0x84)
            if df is None:
                raise CardDataError(f"SELECT {entry.aid.hex().upper()}: DF name (84) missing")
            exact = df.value == entry.aid
            if resp.sw == apdu.SW_APP_BLOCKED:
                ctx.blocked_aids.append(df.value)
            if resp.sw == apdu.SW_OK and (exact or (entry.partial and df.value.startswith(entry.aid))):
                prop = find(fci, 0xA5)
                found.append(_candidate_from(prop.children() if prop else [], df.value, _tables(ctx)))
            if exact or not entry.partial:
                break
    return found


def ordered(candidates: list[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: c.sort_key)


def choose(candidates: list[Candidate], interactive: bool) -> Phase[Candidate | None]:
    """Book 1 12.4: with a cardholder present the keypad offers the list (or asks to confirm a single
    application that needs it); without one the terminal takes the highest priority application that does not
    require confirmation."""
    if not candidates:
        return None
    if interactive and (len(candidates) > 1 or candidates[0].needs_confirmation):
        index = yield ApplicationChoice(tuple(c.label or c.aid.hex().upper() for c in candidates),
                                        tuple(candidates))
        if index is None or not 0 <= index < len(candidates):
            return None
        return candidates[index]
    for candidate in candidates:
        if not candidate.needs_confirmation:
            return candidate
    return None


def build_candidates(ctx: KernelContext) -> Phase[list[Candidate]]:
    if ctx.contactless:
        cands = yield from _ppse(ctx)
    else:
        cands = yield from _pse(ctx)
        if cands is None or not cands:
            cands = yield from _aid_list(ctx)
    return ordered(cands)


def final_select(ctx: KernelContext, candidates: list[Candidate], interactive: bool) -> Phase[Candidate]:
    """Choose, SELECT, and on failure drop the candidate and choose again (Book 1 12.4 last paragraph)."""
    remaining = list(candidates)
    while True:
        chosen = yield from choose(remaining, interactive)
        if chosen is None:
            if ctx.blocked_aids:
                blocked = ", ".join(a.hex().upper() for a in ctx.blocked_aids)
                raise NoApplicationError(f"no application selected: {blocked} blocked (SW 6283)")
            if candidates and not remaining:
                raise NoApplicationError("no application selected: every candidate refused the final SELECT")
            if candidates:
                raise NoApplicationError("no application selected: the cardholder did not choose or confirm one")
            raise NoApplicationError("no application on the card is supported by this terminal")
        resp = yield from exchange(ctx, apdu.select(chosen.aid))
        if resp.ok:
            fci = _parse_fci(resp.data, f"final SELECT {chosen.aid.hex().upper()}")
            df = find(fci, 0x84)
            if df is None or df.value != chosen.aid:
                raise CardDataError(f"final SELECT {chosen.aid.hex().upper()}: DF name (84) differs from the AID")
            ctx.store_card(fci, "FCI", unique=False)
            ctx.selected_aid = chosen.aid
            take_fci_names(ctx, fci, chosen.label)
            return chosen
        if resp.sw == apdu.SW_APP_BLOCKED:
            ctx.blocked_aids.append(chosen.aid)
        remaining.remove(chosen)


def take_fci_names(ctx: KernelContext, fci: list[Tlv], directory_label: str) -> None:
    """The name shown for the selected application: the directory entry's, else the one in the application's
    own FCI (A5: 50, 9F12 with 9F11), which real PPSE entries often carry alone; and the cardholder's
    language preference (5F2D) from that FCI."""
    prop = find(fci[0].children(), 0xA5) if fci else None
    objs = prop.children() if prop else []
    ctx.label = directory_label or display_name(objs, _tables(ctx))
    lang = find(objs, 0x5F2D)
    ctx.language_preference = lang.value.decode("ascii", "replace") if lang else ""
