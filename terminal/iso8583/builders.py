"""One builder per message type of host-interface.md. They return the field dict; codec.encode makes bytes.

The original transaction's data (`Original`) is everything its reversal, advice and batch upload need, and
holds no track data: a reversal names its original by STAN, local date/time and field 90, never by card.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from terminal.iso8583.codec import Value

PURCHASE, REFUND, VOID = "000000", "200000", "020000"
SETTLE, SETTLE_AFTER_UPLOAD = "920000", "960000"
SIGN_ON, ECHO = "001", "301"


@dataclass(frozen=True)
class Terminal:
    terminal_id: str
    merchant_id: str
    currency: str


@dataclass(frozen=True)
class Original:
    """A financial transaction as first sent: its identity on the host (41, 11, 13, 12) and its amounts."""
    proc_code: str
    amount: int
    stan: int
    local: dt.datetime  # fields 12 and 13: the same in the request, its reversal and its advices
    entry_mode: str
    batch: int
    transmitted: str = ""  # field 7 of the first transmission, MMDDhhmmss, for field 90
    psn: str | None = None


def field7(now_utc: dt.datetime) -> str:
    return f"{now_utc.month:02d}{now_utc.day:02d}{now_utc.hour:02d}{now_utc.minute:02d}{now_utc.second:02d}"


def _common(t: Terminal, o: Original, now_utc: dt.datetime) -> dict[int, Value]:
    return {
        3: o.proc_code, 4: str(o.amount), 7: field7(now_utc), 11: f"{o.stan:06d}",
        12: f"{o.local.hour:02d}{o.local.minute:02d}{o.local.second:02d}", 13: f"{o.local.month:02d}{o.local.day:02d}",
        22: o.entry_mode,
        41: t.terminal_id, 42: t.merchant_id, 49: t.currency, 60: f"{o.batch:06d}",
    }


def request_0200(t: Terminal, o: Original, now_utc: dt.datetime, *, track2: str | None = None,
                 pan: str | None = None, expiry: str | None = None, icc: bytes | None = None,
                 pin_block: bytes | None = None, original_rrn: str | None = None) -> dict[int, Value]:
    """A void (020000) names its original by RRN in field 37 and carries no card data: the terminal keeps
    none after authorisation (docs/decisions.md)."""
    f = _common(t, o, now_utc)
    f[25] = "00"
    if o.proc_code == VOID:
        if not original_rrn:
            raise ValueError("a void needs the RRN of its original")
        f[37] = original_rrn
        return f
    if track2 is not None:
        f[35] = track2
    elif pan is not None and expiry is not None:
        f[2], f[14] = pan, expiry
    else:
        raise ValueError("0200 needs card data: track 2, or PAN and expiry")
    if icc is not None:
        f[55] = icc
        if o.psn is not None:  # only when the card has a 5F34
            f[23] = o.psn
    if pin_block is not None:
        f[52] = pin_block
    return f


def advice_0220(t: Terminal, o: Original, now_utc: dt.datetime, *, pan: str, expiry: str, icc: bytes,
                chip_code: str) -> dict[int, Value]:
    """Offline chip approval (Y1/Y3) advised later: PAN, expiry and field 55 only, never track 2 or PIN."""
    f = _common(t, o, now_utc)
    f.update({25: "00", 2: pan, 14: expiry, 39: chip_code, 55: icc})
    if o.psn is not None:
        f[23] = o.psn
    return f


def field90(o: Original) -> str:
    return f"0200{o.stan:06d}{o.transmitted:0>10}" + "0" * 22


def reversal_0400(t: Terminal, o: Original, now_utc: dt.datetime, *, stan: int, reason: str,
                  rrn: str | None = None) -> dict[int, Value]:
    f = _common(t, o, now_utc)
    f[11] = f"{stan:06d}"  # a reversal is a new request with its own STAN; 12/13 stay the original's
    f[39] = reason
    f[90] = field90(o)
    if rrn:
        f[37] = rrn
    return f


def batch_upload_0320(t: Terminal, o: Original, now_utc: dt.datetime, *, stan: int, rrn: str, auth_code: str,
                      response_code: str) -> dict[int, Value]:
    f = _common(t, o, now_utc)
    f.update({11: f"{stan:06d}", 25: "00", 37: rrn, 38: auth_code, 39: response_code})
    return f


def settlement_0500(t: Terminal, now_utc: dt.datetime, *, stan: int, batch: int, credits: tuple[int, int],
                    debits: tuple[int, int], after_upload: bool = False) -> dict[int, Value]:
    """credits/debits are (count, amount in minor units)."""
    return {
        3: SETTLE_AFTER_UPLOAD if after_upload else SETTLE, 7: field7(now_utc), 11: f"{stan:06d}",
        41: t.terminal_id, 42: t.merchant_id, 60: f"{batch:06d}",
        74: str(credits[0]), 76: str(debits[0]), 86: str(credits[1]), 88: str(debits[1]),
    }


def network_0800(t: Terminal, now_utc: dt.datetime, *, stan: int, code: str = SIGN_ON) -> dict[int, Value]:
    return {7: field7(now_utc), 11: f"{stan:06d}", 41: t.terminal_id, 70: code}
