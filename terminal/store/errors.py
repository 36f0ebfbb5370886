"""The store's error, importable without SQLite (the command line catches it on every run)."""
from __future__ import annotations


class StoreError(Exception):
    """The journal cannot be written or read. Nothing that depends on the failed write has happened."""
