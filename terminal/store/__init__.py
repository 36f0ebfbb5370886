"""The journal: SQLite in WAL mode, synchronous=FULL, and the write-ahead rule of DESIGN.md.

The journal module (and SQLite with it) loads on first use, so the command line can catch StoreError
without paying for SQLite on `posterm --help`. The state enums need no SQLite and load at once."""
from terminal.store.errors import StoreError
from terminal.store.states import SafKind, SafState, SettlementState, TxnState

__all__ = ["Journal", "StoreError", "TxnRow", "SafRow", "NewTxn", "SafOutcome", "TxnState", "SafKind", "SafState",
           "SettlementState"]

_LAZY = ("Journal", "TxnRow", "SafRow", "NewTxn", "SafOutcome")


def __getattr__(name: str):
    if name in _LAZY:
        from terminal.store import journal
        return getattr(journal, name)
    raise AttributeError(name)
