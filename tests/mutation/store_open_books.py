"""Real journals for the store-open tests (tests/mutation/test_store_open_*.py): books written through the
journal's own API on a real SQLite file, and rows forged straight into the file the way a bad flash, a hand
edit or a bug would leave them, for `posterm journal check|new` to find."""
from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from terminal.store import Journal, NewTxn

AT = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)
SALE = NewTxn(kind="purchase", proc_code="000000", amount=100, currency="156",
              local_time=dt.datetime(2026, 12, 1, 17, 30), transmitted="1201093000", entry_mode="051",
              masked_pan="476173******0119")


def open_journal(path: Path, terminal_id: str | None = "TERM0001") -> Journal:
    """The journal on a fixed clock, so its timestamps are known."""
    return Journal(path, terminal_id=terminal_id, utc=lambda: AT)


def approved(j: Journal, amount: int = 100) -> int:
    row = j.begin_txn(NewTxn(**{**SALE.__dict__, "amount": amount}))
    j.set_state(row.id, "approved", "approved by the host", response_code="00", rrn=f"{row.id:012d}")
    return row.id


def sales(path: Path, count: int, terminal_id: str | None = "TERM0001") -> None:
    """`count` approved sales (STAN 1..count, transaction 1..count, batch 1), the journal closed after."""
    j = open_journal(path, terminal_id)
    for i in range(count):
        approved(j, 100 * (i + 1))
    j.close()


def forge(conn: sqlite3.Connection, history: list[str], state: str, *, batch: int = 1, stan: int = 900) -> int:
    """A transaction row with exactly this history and state, written behind the journal's back."""
    tid = conn.execute(
        "INSERT INTO txn(kind, proc_code, amount, currency, stan, local_time, entry_mode, masked_pan, batch, state,"
        " created_at, updated_at) VALUES('purchase', '000000', 1, '156', ?, '2026-12-01T17:30:00', '051',"
        " '476173******0119', ?, ?, 'x', 'x')", (stan, batch, state)).lastrowid
    for s in history:
        conn.execute("INSERT INTO txn_event(txn_id, at, state, reason) VALUES(?, 'x', ?, 'forged')", (tid, s))
    return tid


def tamper(path: Path, *statements: str) -> None:
    """SQL run on the file by something that is not posterm (foreign keys off, as sqlite3's default)."""
    conn = sqlite3.connect(path)
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()
