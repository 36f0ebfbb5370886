"""Offline data authentication in the flow, EMV Book 3 section 10.3: pick CDA, else DDA, else SDA by what both
the card (AIP byte 1) and the terminal (9F33 byte 3) support, run it, and set TVR/TSI. A failure never aborts:
it sets '<method> failed' and terminal action analysis decides. CDA's signature is checked at GENERATE AC."""
from __future__ import annotations

from drivers.emvspec.ber_tlv import parse_deep
from drivers.emvspec.dol import build_dol_data, parse_dol
from drivers.emvspec.errors import DolError, TlvError
from terminal.emv import apdu, oda, tags
from terminal.emv.context import KernelContext, Phase, exchange
from terminal.emv.errors import CardDataError, OdaError

AIP_SDA, AIP_DDA, AIP_CDA = 0x40, 0x20, 0x01
TERM_SDA, TERM_DDA, TERM_CDA = 0x80, 0x40, 0x08
FAILED_BIT = {"sda": "sda_failed", "dda": "dda_failed", "cda": "cda_failed"}


def choose_method(ctx: KernelContext) -> str | None:
    aip = ctx.card[0x82][0]
    term = ctx.config.capabilities[2]
    if aip & AIP_CDA and term & TERM_CDA:
        return "cda"
    if aip & AIP_DDA and term & TERM_DDA:
        return "dda"
    if aip & AIP_SDA and term & TERM_SDA:
        return "sda"
    return None


def _pan(ctx: KernelContext) -> str:
    return ctx.card[0x5A].hex().upper().rstrip("F")


def _issuer_key(ctx: KernelContext) -> oda.PublicKey:
    index = ctx.card.get(0x8F)
    cert = ctx.card.get(0x90)
    exponent = ctx.card.get(0x9F32)
    if index is None or cert is None or exponent is None or len(index) != 1:
        ctx.tvr.set("icc_data_missing")
        raise OdaError("CA key index (8F), issuer certificate (90) or issuer exponent (9F32) missing")
    ca = ctx.config.ca_keys.get(ctx.selected_aid[:5], index[0], ctx.txn.today)
    if ca is None and ctx.config.ca_keys.find(ctx.selected_aid[:5], index[0]) is not None:
        raise OdaError(f"CA public key RID {ctx.selected_aid[:5].hex().upper()} index {index[0]:02X} expired")
    if ca is None:
        raise OdaError(f"no CA public key for RID {ctx.selected_aid[:5].hex().upper()} index {index[0]:02X}")
    return oda.issuer_public_key(cert, ctx.card.get(0x92, b""), exponent, ca, _pan(ctx), ctx.txn.today)


def recover_icc_key(ctx: KernelContext) -> oda.PublicKey:
    """Issuer key, then ICC key (Book 2 6.4). Also used for enciphered PIN when no PIN key (9F2D) is given."""
    if ctx.oda_record_problem:
        raise OdaError("a record marked for ODA could not be used")
    issuer = _issuer_key(ctx)
    cert, exponent = ctx.card.get(0x9F46), ctx.card.get(0x9F47)
    if cert is None or exponent is None:
        ctx.tvr.set("icc_data_missing")
        raise OdaError("ICC public key certificate (9F46) or exponent (9F47) missing")
    return oda.icc_public_key(cert, ctx.card.get(0x9F48, b""), exponent, issuer, _pan(ctx),
                              bytes(ctx.oda_static_data), ctx.txn.today)


def _sda(ctx: KernelContext) -> None:
    if ctx.oda_record_problem:
        raise OdaError("a record marked for ODA could not be used")
    ssad = ctx.card.get(0x93)
    if ssad is None:
        ctx.tvr.set("icc_data_missing")
        raise OdaError("signed static application data (93) missing")
    dac = oda.verify_sda(ssad, _issuer_key(ctx), bytes(ctx.oda_static_data))
    ctx.card[0x9F45] = dac


def _dda(ctx: KernelContext) -> Phase[None]:
    """Book 2 6.5: INTERNAL AUTHENTICATE with the DDOL (card's 9F49, else the terminal default)."""
    ctx.icc_key = recover_icc_key(ctx)
    ddol = ctx.card.get(0x9F49) or ctx.aid.ddol_default
    try:
        entries = parse_dol(ddol, "DDOL")
    except DolError as err:
        raise OdaError(str(err)) from None
    if not any(tag == 0x9F37 for tag, _ in entries):
        raise OdaError("DDOL does not contain the Unpredictable Number (9F37)")
    ddol_data = build_dol_data(entries, ctx.values(), tags.fmt)
    resp = yield from exchange(ctx, apdu.internal_authenticate(ddol_data))
    if not resp.ok:
        raise OdaError(f"INTERNAL AUTHENTICATE answered {resp.sw:04X}")
    try:
        objs = parse_deep(resp.data)
    except TlvError as err:
        raise OdaError(f"INTERNAL AUTHENTICATE: {err}") from None
    if objs and objs[0].tag == 0x80:
        sdad = objs[0].value
    elif objs and objs[0].tag == 0x77:
        found = [o for o in objs[0].children() if o.tag == 0x9F4B]
        if not found:
            raise OdaError("INTERNAL AUTHENTICATE: 9F4B missing from format 2 response")
        sdad = found[0].value
    else:
        raise OdaError("INTERNAL AUTHENTICATE: response is neither 80 nor 77")
    dynamic = oda.verify_dynamic_signature(sdad, ctx.icc_key, ddol_data)
    ctx.card[0x9F4C] = dynamic[1:1 + dynamic[0]]


def authenticate(ctx: KernelContext) -> Phase[None]:
    method = choose_method(ctx)
    ctx.oda_method = method
    if method is None:
        ctx.tvr.set("oda_not_performed")
        return
    if method == "sda":
        ctx.tvr.set("sda_selected")
    ctx.tsi.set("oda_performed")
    try:
        if method == "sda":
            _sda(ctx)
        elif method == "dda":
            yield from _dda(ctx)
        else:
            ctx.icc_key = recover_icc_key(ctx)   # signature itself is checked on the GENERATE AC response
    except (OdaError, CardDataError) as err:
        ctx.tvr.set(FAILED_BIT[method])
        ctx.oda_failure = str(err)
        if method == "cda":
            ctx.oda_method = "cda-failed"
