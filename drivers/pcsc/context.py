"""One PC/SC context, established per use so that a pcscd restart heals itself on the next call.

A context is a connection to pcscd: once the daemon restarts, an old context answers 'service not available'
forever. Holding none between calls (establishing costs one local socket round trip) means there is no stale
state to detect, which is also why this driver polls instead of using pyscard's monitor threads."""
from __future__ import annotations

from types import ModuleType

from drivers.pcsc.scard_errors import check


def scard() -> ModuleType:
    """pyscard's thin PC/SC binding, imported only when a reader is really used (keeps `posterm --help` fast)."""
    from smartcard import scard as module

    return module


class Context:
    """`with Context() as ctx:` establishes a PC/SC context and releases it on exit."""

    def __init__(self) -> None:
        self.handle: int | None = None

    def establish(self) -> int:
        sc = scard()
        code, handle = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
        check(code, None)
        self.handle = handle
        return handle

    def release(self) -> None:
        if self.handle is not None:
            scard().SCardReleaseContext(self.handle)  # fails harmlessly when pcscd already went away
            self.handle = None

    def __enter__(self) -> int:
        return self.establish()

    def __exit__(self, *exc: object) -> None:
        self.release()
