"""The printer's typed errors. None of them is a reason to undo a sale: the caller reports it and the slip can
be printed again (docs/decisions.md)."""
from __future__ import annotations


class PrinterError(Exception):
    """The printer could not print: gone (port or USB device missing, cable pulled), or not answering."""


class PaperOut(PrinterError):
    """The printer answered that its paper has run out (DLE EOT 4), or its cover is open."""


class PrinterSpecError(ValueError):
    """`[printer] spec` is not one this driver understands; the message names the part and what was expected."""
