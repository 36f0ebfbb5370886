"""One line for `posterm txn show`: where a transaction stands, in words an operator can act on."""
from __future__ import annotations

from terminal.iso8583.response_codes import lookup
from terminal.store import Journal, TxnRow


def explain(row: TxnRow, journal: Journal) -> str:
    s = row.state
    if s == "approved":
        settled = row.batch < journal.current_batch()
        what = {"refund": "refund approved", "void": "void approved"}.get(row.kind, "approved")
        return f"{what} and settled" if settled else f"{what}, settles at the next batch"
    if s in ("offline_approved", "advice_pending"):
        return "approved offline by the chip; the host is told by an advice"
    if s == "declined":
        code = row.response_code or ""
        return f"declined by the host: {code} {lookup(code).meaning}" if code else "declined"
    if s == "reversed":
        first = next((reason for _, st, reason in journal.events(row.id) if st == "reversal_pending"), "")
        return f"reversed, customer not charged ({first})" if first else "reversed, customer not charged"
    if s == "reversal_pending":
        entry = next((e for e in journal.saf.for_txn(row.id) if e.kind == "reversal"), None)
        if entry is None:
            return "waiting to be reversed"
        tail = f"; last error: {entry.last_error}" if entry.last_error else ""
        return f"waiting to be reversed since {entry.created_at}, {entry.attempts} attempt(s){tail}"
    if s == "sending":
        return "sent, outcome unknown: will be reversed when the terminal restarts"
    if s == "not_sent":
        return f"not sent, customer not charged ({row.message or 'host unreachable'})"
    if s == "needs_attention":
        return "NEEDS ATTENTION: the host could not be told; call the acquirer with this STAN"
    if s == "voided":
        by = next((reason for _, st, reason in journal.events(row.id) if st == "voided"), "")
        return f"voided ({by}): removed from the batch, customer not charged"
    if s == "cancelled":
        return "cancelled before anything was sent"
    return s
