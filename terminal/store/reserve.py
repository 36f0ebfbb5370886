"""The reserve for the outcome: space kept on the journal's disk so that, once a request has left, its outcome
and its reversal can always be recorded.

A file beside the journal (`journal.reserve`, 256 KiB, allocated with posix_fallocate so the blocks are really
taken, no fsync needed) holds the space. When a commit that records an outcome fails because the disk is full,
the reserve is released and the commit is made again on a fresh connection: the outcome, the queued reversal
and the store-and-forward records of the same process fit in it. A request is sent only while the reserve is
in place (write-ahead refuses otherwise: 'the disk is full ... nothing sent'), so a disk that fills between the
write-ahead and the answer can never leave an outcome unrecorded.
"""
from __future__ import annotations

import os
from pathlib import Path

SIZE = 256 * 1024


class Reserve:
    def __init__(self, journal: Path) -> None:
        self.path = journal.with_name(journal.stem + ".reserve")

    def held(self) -> bool:
        try:
            return self.path.stat().st_size >= SIZE
        except OSError:
            return False

    def ensure(self) -> bool:
        """True when the reserve is in place (made now if it was not and the disk has room for it)."""
        if self.held():
            return True
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        except OSError:
            return False
        try:
            os.posix_fallocate(fd, 0, SIZE)
            return True
        except OSError:
            try:
                os.unlink(self.path)  # a partial reserve is no reserve: give back what it took
            except OSError:
                pass
            return False
        finally:
            os.close(fd)

    def release(self) -> bool:
        """Give the space back to the journal; True when there was a reserve to give."""
        try:
            held = self.held()
            os.unlink(self.path)
            return held
        except OSError:
            return False
