"""Store-and-forward delivery: pending reversals and advices, in order, until the host acknowledges them.

Order is strict: an entry that cannot be delivered stops the drain, because a later 0200 or 0500 must never
overtake a pending reversal. The attempt is counted (committed) before the message leaves, so a crash
mid-send makes the next attempt a repeat (0401/0221) with the same STAN, which the host answers idempotently.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from terminal.config import Config
from terminal.iso8583 import MacError, MessageError, decode, encode
from terminal.iso8583.builders import Original, Terminal, reversal_0400
from terminal.iso8583.dialect import RESPONSE_MTI
from terminal.link import LinkError
from terminal.link.client import HostLink
from terminal.store import Journal, SafRow, TxnRow
from terminal.txn import crashpoints

DONE_CODES = {"00": "reversal acknowledged", "25": "host never saw the original: nothing to reverse",
              "94": "host had already reversed it"}
BACKOFF_BASE_S, BACKOFF_MAX_S = 5.0, 300.0
MAX_ATTEMPTS = 50


@dataclass
class DrainReport:
    delivered: int = 0
    pending: int = 0
    error: str = ""


def original_of(row: TxnRow) -> Original:
    return Original(row.proc_code, row.amount, row.stan, row.local_time, row.entry_mode, row.batch,
                    row.transmitted, row.psn)


def terminal_of(cfg: Config) -> Terminal:
    return Terminal(cfg.terminal.id, cfg.terminal.merchant_id, cfg.terminal.currency)


def reversal_message(cfg: Config, txn: TxnRow, entry: SafRow, now_utc: dt.datetime) -> tuple[str, bytes]:
    mti = "0400" if entry.attempts == 0 else "0401"
    fields = reversal_0400(terminal_of(cfg), original_of(txn), now_utc, stan=entry.stan,
                           reason=entry.reason_code, rrn=txn.rrn)
    return mti, encode(mti, fields, cfg.keys.mac_key)


def drain(cfg: Config, journal: Journal, link: HostLink, now: float, *, force: bool = False) -> DrainReport:
    """Deliver what is due, in order. `force` ignores backoff (an operator's `saf flush`, or a one-shot command
    that must clear reversals before its own request)."""
    report = DrainReport()
    pending = journal.saf_pending()
    for i, entry in enumerate(pending):
        if not force and entry.next_at > now:
            report.pending = len(pending) - i
            report.error = "waiting for backoff"
            return report
        txn = journal.txn(entry.txn_id)
        if entry.attempts >= MAX_ATTEMPTS:
            journal.saf_done(entry.id, "needs_attention", f"reversal undelivered after {entry.attempts} attempts",
                             state="needs_attention")
            continue
        mti, wire = reversal_message(cfg, txn, entry, dt.datetime.now(dt.timezone.utc))
        backoff = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** entry.attempts)
        journal.saf_attempt(entry.id, now + backoff)
        crashpoints.reached("saf_after_attempt")
        error = _deliver_one(cfg, journal, link, entry, mti, wire)
        if error:
            journal.saf_note(entry.id, error)
            report.pending = len(pending) - i
            report.error = error
            return report
        report.delivered += 1
    return report


def _deliver_one(cfg: Config, journal: Journal, link: HostLink, entry: SafRow, mti: str, wire: bytes) -> str:
    """'' when the host acknowledged; otherwise why not (the entry stays pending)."""
    try:
        link.send(wire)
        crashpoints.reached("saf_after_send")
        raw = link.receive(cfg.host.timeout_s)
        resp = decode(raw, cfg.keys.mac_key)
    except MacError as e:
        link.close()
        return f"bad MAC on the {RESPONSE_MTI[mti]}: {e}"
    except (LinkError, MessageError) as e:
        return str(e)
    if resp.mti != RESPONSE_MTI[mti] or resp.fields.get(11) != f"{entry.stan:06d}":
        link.close()
        return f"answer {resp.mti} STAN {resp.fields.get(11)} does not match {mti} STAN {entry.stan:06d}"
    code = str(resp.fields.get(39))
    if code in DONE_CODES:
        journal.saf_done(entry.id, "reversed", f"{DONE_CODES[code]} ({mti}, code {code})", response_code=None)
        return ""
    return f"host answered {code} to the {mti}"
