"""Errors of card data. The message names the track or field, the fault, and (where it helps) the position,
and never contains the track data itself: it may reach a log."""
from __future__ import annotations


class CardDataError(ValueError):
    def __init__(self, where: str, fault: str) -> None:
        super().__init__(f"{where}: {fault}")
        self.where = where
        self.fault = fault
