"""The journal: SQLite in WAL mode, synchronous=FULL, and the write-ahead rule of DESIGN.md."""
from terminal.store.journal import Journal, StoreError, TxnRow, SafRow

__all__ = ["Journal", "StoreError", "TxnRow", "SafRow"]
