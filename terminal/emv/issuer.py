"""Online processing and issuer-to-card processing, EMV Book 3 sections 10.9 and 10.10: issuer authentication
(tag 91 by EXTERNAL AUTHENTICATE, or inside CDOL2 when the card asks for it there) and issuer scripts
(templates 71 before the second GENERATE AC, 72 after), with the Issuer Script Results (9F5B) for the advice."""
from __future__ import annotations

from dataclasses import dataclass, field

from drivers.emvspec.ber_tlv import Tlv, parse_deep
from drivers.emvspec.dol import parse_dol
from drivers.emvspec.errors import DolError, TlvError
from terminal.emv import apdu
from terminal.emv.context import KernelContext, Phase, exchange

AIP_ISSUER_AUTH = 0x04


@dataclass(frozen=True)
class HostResponse:
    """What the 0210 brought back that the chip needs: field 39 and field 55's TLV (tag 91, templates 71/72)."""

    response_code: str
    issuer_data: bytes = b""

    @property
    def approved(self) -> bool:
        return self.response_code in ("00", "10", "11")


@dataclass
class IssuerData:
    auth_data: bytes | None = None
    scripts_before: list[Tlv] = field(default_factory=list)
    scripts_after: list[Tlv] = field(default_factory=list)
    malformed: bool = False


def split_issuer_data(blob: bytes) -> IssuerData:
    """Read the host's field 55. Malformed issuer data is not the card's fault and does not abort the sale:
    it counts as absent issuer authentication and failed scripts."""
    out = IssuerData()
    if not blob:
        return out
    try:
        objs = parse_deep(blob)
    except TlvError:
        out.malformed = True
        return out
    for obj in objs:
        if obj.tag == 0x91:
            out.auth_data = obj.value
        elif obj.tag == 0x71:
            out.scripts_before.append(obj)
        elif obj.tag == 0x72:
            out.scripts_after.append(obj)
    return out


def issuer_auth_in_cdol2(ctx: KernelContext) -> bool:
    try:
        return any(tag == 0x91 for tag, _ in parse_dol(ctx.card.get(0x8D, b""), "CDOL2"))
    except DolError:  # a bad CDOL2 is reported by the second GENERATE AC with its own message
        return False


def authenticate_issuer(ctx: KernelContext, data: IssuerData) -> Phase[None]:
    """Book 3 10.9: EXTERNAL AUTHENTICATE when the AIP says the card supports it and 91 is not in CDOL2."""
    if data.auth_data is None:
        return
    ctx.terminal[0x91] = data.auth_data
    if not ctx.card[0x82][0] & AIP_ISSUER_AUTH or issuer_auth_in_cdol2(ctx):
        return
    ctx.tsi.set("issuer_authentication_performed")
    resp = yield from exchange(ctx, apdu.external_authenticate(data.auth_data))
    if not resp.ok:
        ctx.tvr.set("issuer_authentication_failed")


def run_scripts(ctx: KernelContext, scripts: list[Tlv], after_final: bool) -> Phase[None]:
    """Book 3 10.10: send each command (86) in order; SW1 90, 62 or 63 means go on, anything else ends that
    script. Results go into 9F5B, 5 bytes per script."""
    failed_bit = "script_failed_after_final_ac" if after_final else "script_failed_before_final_ac"
    for script in scripts:
        ctx.tsi.set("script_processing_performed")
        try:
            children = script.children()
        except TlvError:
            ctx.tvr.set(failed_bit)
            ctx.script_results += b"\x10" + bytes(4)
            continue
        script_id = next((c.value for c in children if c.tag == 0x9F18), bytes(4))[:4].rjust(4, b"\x00")
        status = 0x20
        for seq, cmd in enumerate((c for c in children if c.tag == 0x86), start=1):
            if len(cmd.value) < 4:
                status = 0x10 | min(seq, 15)
                break
            resp = yield from exchange(ctx, apdu.raw(f"issuer script command {seq}", cmd.value))
            if resp.sw >> 8 not in (0x90, 0x62, 0x63):
                status = 0x10 | min(seq, 15)
                break
        if status & 0xF0 == 0x10:
            ctx.tvr.set(failed_bit)
        ctx.script_results += bytes([status]) + script_id
