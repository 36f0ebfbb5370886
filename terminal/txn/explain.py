"""One line for `posterm txn show`, `txn list` and `txn find`: where a transaction stands, and so where the
customer's money stands, in words an operator can act on ("approved and settled in batch 000007 on 2026-11-30
23:30": the money is on its way to the merchant; "reversed, customer not charged": nothing to refund).

Every text goes through `_()`; the values (batch, dates, codes) are filled in after translation.
"""
from __future__ import annotations

import datetime as dt

from terminal.i18n.dates import format_datetime
from terminal.i18n.text import SOURCE_LANGUAGE, _, language
from terminal.iso8583.response_codes import lookup
from terminal.store import Journal, TxnRow


def local_minute(utc_iso: str) -> str:
    """A journal timestamp (UTC) as the terminal's local date and time to the minute."""
    try:
        at = dt.datetime.fromisoformat(utc_iso)
    except ValueError:
        return utc_iso
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    return format_datetime(at.astimezone().replace(tzinfo=None))[:16]   # the locale's form, to the minute


def _why(reason: str) -> str:
    """A journal reason (an engineer's English, kept as written) as the operator's language says it: in English
    the reason itself; in another language the kind of reason it is, when it is one of the reversal's causes."""
    if language() == SOURCE_LANGUAGE:
        return reason
    if "outcome unknown" in reason:
        return _("no answer in time, outcome unknown")
    if "operator cancelled" in reason:
        return _("the operator cancelled after sending")
    if reason.startswith("chip:"):
        return _("the card declined after the host approved")
    return reason


def _approved(row: TxnRow, journal: Journal) -> str:
    batch = f"{row.batch:06d}"
    closed = journal.batches.closed_at(row.batch)
    if closed is not None:
        what = {"refund": _("refund approved and settled in batch {batch} on {date}"),
                "void": _("void approved and settled in batch {batch} on {date}")}.get(
                    row.kind, _("approved and settled in batch {batch} on {date}"))
        return what.format(batch=batch, date=local_minute(closed))
    if row.batch < journal.current_batch():  # a batch closed before settlements were journaled
        what = {"refund": _("refund approved and settled in batch {batch}"),
                "void": _("void approved and settled in batch {batch}")}.get(
                    row.kind, _("approved and settled in batch {batch}"))
        return what.format(batch=batch)
    what = {"refund": _("refund approved, settles with batch {batch}"),
            "void": _("void approved, settles with batch {batch}")}.get(row.kind, _("approved, settles with batch {batch}"))
    return what.format(batch=batch)


def explain(row: TxnRow, journal: Journal) -> str:
    s = row.state
    if s == "approved":
        return _approved(row, journal)
    if s in ("offline_approved", "advice_pending"):
        return _("approved offline by the chip; the host is told by an advice")
    if s == "declined":
        code = row.response_code or ""
        return _("declined by the host: {code} {meaning}").format(code=code, meaning=lookup(code).meaning) \
            if code else _("declined")
    if s == "reversed":
        first = next((reason for _at, st, reason in journal.events(row.id) if st == "reversal_pending"), "")
        return (_("reversed, customer not charged ({why})").format(why=_why(first)) if first
                else _("reversed, customer not charged"))
    if s == "reversal_pending":
        entry = next((e for e in journal.saf.for_txn(row.id) if e.kind == "reversal"), None)
        if entry is None:
            return _("reversal pending: the customer is not charged once the host has it")
        line = (_("in doubt, reversal pending since {since}, {attempts} attempt(s)") if entry.reason_code == "68"
                else _("reversal pending since {since}, {attempts} attempt(s)")).format(
                    since=local_minute(entry.created_at), attempts=entry.attempts)
        tail = _("; last error: {error}").format(error=entry.last_error) if entry.last_error else ""
        return line + tail + _(": the customer is not charged once the host has it")
    if s == "sending":
        return _("in doubt: sent, outcome unknown; reversed when the terminal restarts")
    if s == "not_sent":
        why = _(row.message) if row.message else _("host unreachable")
        return _("not sent, customer not charged ({why})").format(why=why)
    if s == "needs_attention":
        return _("NEEDS ATTENTION: the host could not be told; call the acquirer with this STAN")
    if s == "voided":
        by = next((reason for _at, st, reason in journal.events(row.id) if st == "voided"), "")
        return _("voided ({by}): removed from the batch, customer not charged").format(by=by)
    if s == "cancelled":
        return _("cancelled before anything was sent")
    return s
