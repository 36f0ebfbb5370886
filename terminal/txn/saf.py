"""Store-and-forward delivery: pending reversals and advices, until the host acknowledges them.

Order: every pending reversal, oldest first, then every pending advice, oldest first. A reversal that cannot
be delivered stops the drain, because nothing may overtake it (host-interface.md: a pending reversal reaches
the host before the next 0200 or 0500). Advices go after reversals so that one the host keeps refusing cannot
hold a reversal, or the merchant's next sale, hostage.

The attempt is counted (committed) before the message leaves, so a crash mid-send makes the next attempt a
repeat (0401/0221) with the same STAN, which the host answers idempotently. After the configured number of
attempts or age an entry becomes 'needs attention' and stays visible; nothing is dropped silently.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from terminal.config import Config
from terminal.i18n.text import N_
from terminal.iso8583 import MessageError, encode
from terminal.iso8583.builders import Original, Terminal, advice_0220, reversal_0400
from terminal.link import LinkError
from terminal.link.client import HostLink
from terminal.store import Journal, SafRow, TxnRow
from terminal.store.journal import SafOutcome
from terminal.store.states import TxnState
from terminal.txn.clock import SYSTEM, Clock
from terminal.txn.crashpoints import NONE, CrashPoints
from terminal.txn.exchange import Answered, NoAnswer, NotSent, Request, address_of, exchange
from terminal.txn.sealing import SealError, unseal

KIND_WORDS = {"reversal": N_("reversal"), "advice": N_("advice")}   # a queue entry's kind, as the operator reads it

# Host answers that close an entry, per kind, with the journal line for each.
DONE = {
    "reversal": {"00": "reversal acknowledged", "25": "host never saw the original: nothing to reverse",
                 "94": "host had already reversed it"},
    "advice": {"00": "advice acknowledged", "94": "host already had the advice"},
}
FINAL_STATE = {"reversal": TxnState.REVERSED, "advice": TxnState.OFFLINE_APPROVED}
BACKOFF_BASE_S, BACKOFF_MAX_S = 5.0, 300.0


@dataclass
class DrainReport:
    delivered: int = 0
    pending: int = 0
    reversals_pending: int = 0
    error: str = ""
    blocking_stan: int | None = None  # STAN of the transaction whose reversal holds everything else up


def original_of(row: TxnRow) -> Original:
    return Original(row.proc_code, row.amount, row.stan, row.local_time, row.entry_mode, row.batch,
                    row.transmitted, row.psn)


def terminal_of(cfg: Config) -> Terminal:
    return Terminal(cfg.terminal.id, cfg.terminal.merchant_id, cfg.terminal.currency)


def message_for(cfg: Config, txn: TxnRow, entry: SafRow, now_utc: dt.datetime) -> tuple[str, bytes]:
    first = entry.attempts == 0
    if entry.kind == "reversal":
        mti = "0400" if first else "0401"
        fields = reversal_0400(terminal_of(cfg), original_of(txn), now_utc, stan=entry.stan,
                               reason=entry.reason_code, rrn=txn.rrn)
    else:
        mti = "0220" if first else "0221"
        if entry.sealed is None:
            raise SealError(f"advice of transaction {txn.id} has no card data left")
        card = unseal(cfg.keys.data_key, txn.id, entry.sealed)
        fields = advice_0220(terminal_of(cfg), original_of(txn), now_utc, pan=card.pan, expiry=card.expiry,
                             icc=card.icc, chip_code=entry.reason_code)
    return mti, encode(mti, fields, cfg.keys.mac_key)


def _expired(cfg: Config, entry: SafRow, now: float) -> str:
    if entry.attempts >= cfg.saf.max_attempts:
        return f"undelivered after {entry.attempts} attempts"
    created = dt.datetime.fromisoformat(entry.created_at).timestamp()
    if now - created > cfg.saf.expiry_h * 3600:
        return f"undelivered after {cfg.saf.expiry_h:g} h"
    return ""


def pending_in_order(journal: Journal) -> list[tuple[SafRow, TxnRow]]:
    """Every pending reversal, oldest first, then every pending advice, oldest first."""
    pending = journal.saf_pending_with_txn()
    return [p for p in pending if p[0].kind == "reversal"] + [p for p in pending if p[0].kind != "reversal"]


def buildable(cfg: Config, entry: SafRow, txn: TxnRow, now: float, clock: Clock) -> tuple[str, bytes] | str:
    """The message (MTI, wire), or why it cannot be sent any more ('needs attention')."""
    why = _expired(cfg, entry, now)
    if why:
        return why
    try:
        return message_for(cfg, txn, entry, clock.now().utc)
    except (SealError, MessageError) as e:
        return f"cannot be built: {e}"


def acknowledged(entry: SafRow, mti: str, reply: Answered) -> SafOutcome | str:
    """The outcome to record when the host's answer closes the entry, else why the host refused it (the entry
    stays pending)."""
    code = str(reply.message.fields.get(39))
    done = DONE[entry.kind].get(code)
    if done:
        rrn = reply.message.fields.get(37) if entry.kind == "advice" else None
        return SafOutcome(entry.id, entry.txn_id, FINAL_STATE[entry.kind], f"{done} ({mti}, code {code})",
                          rrn=str(rrn) if rrn else None)
    return f"host answered {code} to the {mti}"


def drain(cfg: Config, journal: Journal, link: HostLink, clock: Clock = SYSTEM, *, force: bool = False,
          crash: CrashPoints = NONE, progress=None) -> DrainReport:
    """Deliver what is due. `force` ignores backoff (an operator's `saf flush`, or a one-shot command that must
    clear reversals before its own request). `progress("saf", n, m)` before the n-th of m deliveries and
    `progress(None, 0, 0)` at the end: display only (Driver.progress). With `[saf] window` above 1 and a link
    that can hold several requests, the window drain (saf_window.py) runs; else one message at a time."""
    try:
        if cfg.saf.window > 1 and hasattr(link, "receive_any") and hasattr(link, "send_more"):
            from terminal.txn import saf_window
            return saf_window.drain(cfg, journal, link, clock, force=force, crash=crash, progress=progress)
        return _drain(cfg, journal, link, clock, force, crash, progress)
    finally:
        if progress is not None:
            progress(None, 0.0, 0.0)


def _drain(cfg: Config, journal: Journal, link: HostLink, clock: Clock, force: bool, crash: CrashPoints,
           progress) -> DrainReport:
    report = DrainReport()
    now = clock.now().epoch
    ordered = pending_in_order(journal)
    blocked = False
    carry: SafOutcome | None = None  # the last delivery's outcome, committed with the next attempt

    def still_pending(entry: SafRow, error: str, txn: TxnRow) -> None:
        report.pending += 1
        report.reversals_pending += entry.kind == "reversal"
        if entry.kind == "reversal" and report.blocking_stan is None:
            report.blocking_stan = txn.stan
        report.error = report.error or error

    prebuilt: dict[int, tuple[str, bytes] | str] = {}

    def build_next(i: int) -> None:
        """Runs while the host is working on message i: the next message is pure CPU work, done in the wait."""
        if i + 1 < len(ordered) and (force or ordered[i + 1][0].next_at <= now):
            nxt, nxt_txn = ordered[i + 1]
            prebuilt[nxt.id] = buildable(cfg, nxt, nxt_txn, now, clock)

    for i, (entry, txn) in enumerate(ordered):
        if blocked or (not force and entry.next_at > now):
            still_pending(entry, "waiting for backoff", txn)
            blocked = blocked or entry.kind == "reversal"  # nothing overtakes a reversal
            continue
        if progress is not None:
            progress("saf", float(i + 1), float(len(ordered)))
        built = prebuilt.pop(entry.id, None) or buildable(cfg, entry, txn, now, clock)
        why, (mti, wire) = (built, ("", b"")) if isinstance(built, str) else ("", built)
        if why:
            journal.saf_record(done=carry)
            carry = None
            journal.saf_done(entry, TxnState.NEEDS_ATTENTION, f"{entry.kind} {why}", state="needs_attention")
            continue
        next_at = now + min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** entry.attempts)
        try:
            link.ensure_connected()  # an attempt counts only when the message can leave: a refused connect
        except LinkError as e:     # sends nothing, and must not use up the entry's attempts
            journal.saf_record(done=carry)
            carry = None
            journal.saf_note(entry.id, str(e), next_at)
            still_pending(entry, str(e), txn)
            blocked = True
            continue
        crash.reached("saf_before_attempt")
        if carrier := address_of(link):  # rides the attempt's commit: where this message goes
            journal.note_carried(entry.txn_id, mti, entry.stan, carrier)
        journal.saf_record(done=carry, attempt=(entry.id, next_at))
        carry = None
        crash.reached("saf_after_attempt")
        outcome = _deliver_one(cfg, link, entry, mti, wire, lambda: build_next(i), crash)
        if isinstance(outcome, SafOutcome):
            carry = outcome
            report.delivered += 1
            continue
        why = outcome.why if isinstance(outcome, NoAnswer) else outcome
        journal.saf_note(entry.id, why)
        still_pending(entry, why, txn)
        if entry.kind == "reversal" or isinstance(outcome, NoAnswer):
            blocked = True  # nothing overtakes a reversal; an unreachable host is not tried for the rest
    journal.saf_record(done=carry)
    return report


def _deliver_one(cfg: Config, link: HostLink, entry: SafRow, mti: str, wire: bytes,
                 while_waiting: Callable[[], None], crash: CrashPoints) -> SafOutcome | NoAnswer | str:
    """The outcome to record when the host acknowledged; NoAnswer when it could not be reached or did not
    answer (nothing more is tried this drain); else why the host refused (the entry stays pending)."""
    reply = exchange(link, Request(mti, f"{entry.stan:06d}", wire), cfg.keys.mac_key, cfg.host.timeout_s,
                     crash=crash, sent_point="saf_after_send", while_waiting=while_waiting)
    if isinstance(reply, NotSent):
        return NoAnswer(reply.why)
    if isinstance(reply, NoAnswer):
        return reply
    return acknowledged(entry, mti, reply)
