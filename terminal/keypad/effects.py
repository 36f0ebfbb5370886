"""What the keypad asks the rest of the terminal to do. The run loop (or the caller) acts on them."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AmountConfirmed:
    """The operator confirmed the amount: start the sale, wait for a card."""

    amount_minor: int


@dataclass(frozen=True)
class Cancelled:
    """The operator confirmed a cancel before any request left the terminal: end the sale, nothing to undo."""

    during: str  # the state's name the cancel came from, e.g. "amount entry"


@dataclass(frozen=True)
class AppChosen:
    index: int  # 0-based, into the labels of AppsOffered
    label: str


@dataclass(frozen=True)
class PinComplete:
    """The PIN pad holds a complete PIN. Only its length is known here."""

    digits: int


@dataclass(frozen=True)
class RiskAnswered:
    """The operator's answer to a RiskQuestion: ENTER is yes, any other key no."""

    yes: bool


@dataclass(frozen=True)
class ReversalRequested:
    """The operator forced an abort after the request was sent: the engine must reverse, never drop."""

    reason: str = "operator abort after request sent"


Effect = AmountConfirmed | Cancelled | AppChosen | PinComplete | RiskAnswered | ReversalRequested
