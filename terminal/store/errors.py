"""The store's error, importable without SQLite (the command line catches it on every run)."""
from __future__ import annotations


class StoreError(Exception):
    """The journal cannot be written or read. Nothing that depends on the failed write has happened.

    `maybe_written`: the failed commit may be in the file all the same. SQLite writes a commit's frames to the
    log and then fsyncs; when the fsync fails (EIO), the frames may sit in the page cache and be read back, so
    the commit is neither surely there nor surely absent. A failed write or a full disk leaves it surely absent
    (a torn last frame fails the log's checksum and is ignored).
    """

    def __init__(self, message: str, *, maybe_written: bool = False) -> None:
        super().__init__(message)
        self.maybe_written = maybe_written

    def restated(self, consequence: str) -> "StoreError":
        """The same error with what it means for the caller's transaction added."""
        return type(self)(f"{self}: {consequence}", maybe_written=self.maybe_written)
