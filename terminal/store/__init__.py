"""The journal: SQLite in WAL mode, synchronous=FULL, and the write-ahead rule of DESIGN.md.

The journal module (and SQLite with it) loads on first use, so the command line can catch StoreError
without paying for SQLite on `posterm --help`."""
from terminal.store.errors import StoreError

__all__ = ["Journal", "StoreError", "TxnRow", "SafRow"]


def __getattr__(name: str):
    if name in ("Journal", "TxnRow", "SafRow"):
        from terminal.store import journal
        return getattr(journal, name)
    raise AttributeError(name)
