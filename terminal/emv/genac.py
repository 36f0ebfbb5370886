"""GENERATE AC, EMV Book 3 sections 6.5.5 and 9.2: fill CDOL1/CDOL2, ask for AAC/TC/ARQC (with CDA when it was
chosen), and read the answer in format 1 ('80': CID, ATC, AC, IAD) or format 2 ('77'). With CDA the cryptogram
is inside the signed dynamic data and is recovered and checked here (Book 2 6.6)."""
from __future__ import annotations

from dataclasses import dataclass

from drivers.emvspec.dol import build_dol_data, parse_dol
from terminal.emv import apdu, oda, tags
from terminal.emv.context import KernelContext, Phase, exchange, parse_response
from terminal.emv.errors import CardDataError, CardStatusError, OdaError

CID_AAC, CID_TC, CID_ARQC = 0x00, 0x40, 0x80
CID_NAMES = {CID_AAC: "AAC", CID_TC: "TC", CID_ARQC: "ARQC"}


@dataclass(frozen=True)
class GenAcResult:
    cid: int
    atc: bytes
    cryptogram: bytes
    iad: bytes
    cda_ok: bool | None        # None when CDA was not asked for or the card declined (AAC is not signed)

    @property
    def kind(self) -> int:
        return self.cid & 0xC0


def _parse(ctx: KernelContext, data: bytes, command: str) -> tuple[dict[int, bytes], bytes]:
    objs = parse_response(data, command)
    if len(objs) != 1 or objs[0].tag not in (0x80, 0x77):
        raise CardDataError(f"{command}: response is neither format 1 (80) nor format 2 (77)")
    if objs[0].tag == 0x80:
        body = objs[0].value
        if len(body) < 11:
            raise CardDataError(f"{command}: format 1 body of {len(body)} bytes (need CID, ATC, AC)")
        found = {0x9F27: body[0:1], 0x9F36: body[1:3], 0x9F26: body[3:11], 0x9F10: body[11:]}
        _check_lengths(found, command)
        return found, b""
    found: dict[int, bytes] = {}
    signed_part = b""
    for child in objs[0].children():
        if child.tag in found:
            raise CardDataError(f"{command}: tag {child.tag:02X} twice in the response")
        found[child.tag] = child.value
        if child.tag != 0x9F4B:
            signed_part += child.encode()
    for tag in (0x9F27, 0x9F36):
        if tag not in found:
            ctx.tvr.set("icc_data_missing")
            raise CardDataError(f"{command}: mandatory tag {tag:02X} missing")
    _check_lengths(found, command)
    return found, signed_part


def _check_lengths(found: dict[int, bytes], command: str) -> None:
    for tag, value in found.items():
        problem = tags.check_value(tag, value)
        if problem:
            raise CardDataError(f"{command}: {problem}")


def generate_ac(ctx: KernelContext, p1: int, second: bool, extra_dol_data: bytes = b"") -> Phase[GenAcResult]:
    cdol_tag = 0x8D if second else 0x8C
    dol_data = build_dol_data(parse_dol(ctx.card[cdol_tag], "CDOL2" if second else "CDOL1"), ctx.values(), tags.fmt)
    if not second:
        ctx.cdol1_data = dol_data
    use_cda = ctx.oda_method == "cda" and (p1 & 0xC0) != apdu.P1_AAC
    command = apdu.generate_ac(p1 | (apdu.P1_CDA if use_cda else 0), dol_data, second)
    resp = yield from exchange(ctx, command)
    if not resp.ok:
        raise CardStatusError(command.name, resp.sw)
    found, signed_part = _parse(ctx, resp.data, command.name)
    cid = found[0x9F27][0] if found[0x9F27] else 0
    kind = cid & 0xC0
    requested = p1 & 0xC0
    if kind not in CID_NAMES or (requested == apdu.P1_AAC and kind != CID_AAC) or \
            (requested == apdu.P1_TC and kind == CID_ARQC and second):
        raise CardDataError(f"{command.name}: card returned {CID_NAMES.get(kind, hex(cid))}, not allowed for "
                            f"a {CID_NAMES[requested]} request (Book 3 9.2)")
    cda_ok = None
    cryptogram = found.get(0x9F26, b"")
    if use_cda and kind != CID_AAC:
        cda_ok = _check_cda(ctx, found, signed_part, dol_data, second, cid)
        if cda_ok:
            cryptogram = ctx.card[0x9F26]
    elif not cryptogram:
        ctx.tvr.set("icc_data_missing")
        raise CardDataError(f"{command.name}: Application Cryptogram (9F26) missing")
    for tag, value in found.items():
        if tag != 0x9F4B:
            ctx.card[tag] = value
    ctx.card[0x9F26] = cryptogram
    return GenAcResult(cid, found[0x9F36], cryptogram, found.get(0x9F10, b""), cda_ok)


def _check_cda(ctx: KernelContext, found: dict[int, bytes], signed_part: bytes, dol_data: bytes, second: bool,
               cid: int) -> bool:
    """Book 2 6.6.2: recover 9F4B with the ICC key and check CID and transaction data hash code."""
    sdad = found.get(0x9F4B)
    if ctx.icc_key is None or sdad is None:
        ctx.tvr.set("cda_failed")
        return False
    transaction_data = ctx.pdol_data + ctx.cdol1_data + (dol_data if second else b"") + signed_part
    try:
        result = oda.verify_cda(sdad, ctx.icc_key, ctx.terminal[0x9F37], cid, transaction_data)
    except OdaError as err:
        ctx.tvr.set("cda_failed")
        ctx.oda_failure = str(err)
        return False
    ctx.card[0x9F26] = result.cryptogram
    ctx.card[0x9F4C] = result.dynamic_number
    return True
