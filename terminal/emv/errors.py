"""One error hierarchy for the EMV layer. Every message names the offending tag, command or byte offset and what
was expected, so an aborted transaction can say in one line why."""
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


class CardDataError(EmvError):
    """The card sent data the kernel cannot use: missing mandatory tag, duplicate tag, wrong format."""


class CardStatusError(EmvError):
    """The card answered a command with a status word the flow does not allow at that point."""

    def __init__(self, command: str, sw: int, expected: str = "9000") -> None:
        super().__init__(f"{command}: card answered SW {sw:04X}, expected {expected}")
        self.command = command
        self.sw = sw


class OdaError(EmvError):
    """Offline data authentication failed (Book 2): the message says which check. Sets a TVR bit, never aborts."""


class ConfigError(EmvError):
    """Terminal EMV configuration is unusable (bad CA key checksum, bad AID, bad hex)."""
