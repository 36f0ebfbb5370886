"""The root of the EMV error hierarchy and the errors the spec primitives raise. The kernel's own errors
(terminal/emv/errors.py: CardDataError, CardStatusError, OdaError, ConfigError) subclass `EmvError` from here, so
`except EmvError` catches a TLV or DOL defect as well as a kernel refusal."""
from __future__ import annotations


class EmvError(Exception):
    """Anything the EMV layer refuses. The kernel turns it into an 'aborted' outcome, never a crash."""


class TlvError(EmvError):
    """Malformed BER-TLV: the message names the byte offset (and the tag when known)."""

    def __init__(self, message: str, offset: int, tag: int | None = None) -> None:
        where = f"at byte {offset}" + (f" (tag {tag:02X})" if tag is not None else "")
        super().__init__(f"bad TLV {where}: {message}")
        self.offset = offset
        self.tag = tag


class DolError(EmvError):
    """A Data Object List (PDOL, CDOL1/2, DDOL) that cannot be parsed."""
