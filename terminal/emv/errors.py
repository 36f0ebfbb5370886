"""One error hierarchy for the EMV layer. Every message names the offending tag, command or byte offset and what
was expected, so an aborted transaction can say in one line why.

The root, `EmvError`, and the errors of the spec primitives (`TlvError`, `DolError`) live one layer down in
drivers/emvspec/errors.py, shared with the virtual cards; the kernel's errors below subclass that root."""
from __future__ import annotations

from drivers.emvspec.errors import EmvError

__all__ = ["EmvError", "CardDataError", "CardStatusError", "OdaError", "ConfigError"]


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
