"""Where a slip goes: to the receipt printer when `[printer] spec` names one (every copy `[receipt] copies`
asks for), else to the screen or stdout: one copy, the cardholder's (a screen is not paper to tear off, and
cannot be signed).

A printer that is out of paper or gone never changes the sale: the customer has authorised it and the money
has moved, so reversing it over a paper roll would take the customer's word back from the issuer (see
docs/decisions.md). The sale stands, the operator is told in one line that the slip was not printed and how
to print it again, and the slip is built from the journal, so a reprint is the same slip.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from terminal.config import Config
from terminal.i18n.text import _
from terminal.receipt.render import render
from terminal.receipt.slip import COPIES, slip_of
from terminal.store import Journal

log = logging.getLogger("terminal.receipt")


@dataclass(frozen=True)
class Delivery:
    lines: list[str] = field(default_factory=list)   # what the screen/stdout shows: the slip, or the problem
    printed: int = 0                                 # copies the printer printed
    problem: str = ""                                # why nothing (or not all) was printed; '' when all was

    def to_json(self) -> dict:
        return {"printed": self.printed} | ({"problem": self.problem} if self.problem else {})


def copies_for(cfg: Config, copy: str | None) -> list[str]:
    return [copy] if copy else list(COPIES[:cfg.receipt.copies])


def deliver(journal: Journal, cfg: Config, txn_id: int, *, copy: str | None = None, reprint: bool = False,
            mark: Callable[..., list[str]] | None = None) -> Delivery:
    """The slip of `txn_id` to the printer, or its lines for the screen. `mark(lines, width)` marks each page
    (training: terminal/training/session.mark_slip). Raises what slip_of raises (no such transaction, no slip
    for it); a printer failure is returned, never raised."""
    width = cfg.receipt.width

    def page(c: str) -> list[str]:
        lines = render(slip_of(journal, cfg, txn_id, copy=c, reprint=reprint), width)
        return mark(lines, width) if mark is not None else lines

    if not cfg.printer.spec:
        return Delivery(page(copy or "customer"))
    pages = [page(c) for c in copies_for(cfg, copy)]
    from drivers.printer.errors import PrinterError
    from drivers.printer.escpos import EscposPrinter
    try:
        EscposPrinter(cfg.printer.spec).print_copies(pages)
    except PrinterError as e:
        log.warning("transaction %d: slip not printed: %s", txn_id, e)
        line = _("SLIP NOT PRINTED ({why}): the transaction stands; print it again with: posterm receipt {id}")
        return Delivery([line.format(why=e, id=txn_id)], 0, str(e))
    return Delivery([], len(pages))


def after_sale(journal: Journal, cfg: Config, result, *, mark: Callable[..., list[str]] | None = None
               ) -> Delivery | None:
    """The slip of a sale that just ended approved (online or offline); None when it has none."""
    if result.id is None or result.outcome not in ("approved", "offline_approved"):
        return None
    return deliver(journal, cfg, result.id, mark=mark)
