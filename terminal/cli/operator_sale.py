"""The sale `posterm run` performs for each amount the operator confirms: card, checkpoint, online, outcome.

Built once per `posterm run` (one journal, one host link, one background store-and-forward worker), then
called for each sale by the keypad's run loop with the keypad UI.
"""
from __future__ import annotations

import argparse
import atexit
import datetime as dt

from terminal.cli.common import journal_path, load_config, open_journal, open_link
from terminal.cli.reader_spec import emulated_pin, open_chip_channel, parse_reader, read_tracks
from terminal.keypad.sale_ui import OperatorOutcome, ProcessSale, SaleUI
from terminal.receipt import receipt
from terminal.store.fallbacks import JournalFallbackStore
from terminal.txn.background import SafWorker
from terminal.txn.engine import Engine
from terminal.txn.swipe import SwipeRefused, card_from_swipe
from terminal.txn.verdict import REVERSAL_CANCELLED

DEFAULT_READER = "emulated-swipe:magstripe"


def make_process_sale(args: argparse.Namespace) -> ProcessSale:
    cfg = load_config(args)
    journal = open_journal(args, transacting=True)
    link = open_link(cfg)
    engine = Engine(cfg, journal, link)
    worker = SafWorker(cfg, journal_path(args) / "journal.sqlite3")
    worker.start()
    atexit.register(worker.stop)
    spec = parse_reader(getattr(args, "reader", None) or DEFAULT_READER)
    fallbacks = JournalFallbackStore(journal)

    def chip(amount_minor: int, ui: SaleUI) -> OperatorOutcome:
        """The kernel asks the operator (through the keypad) when the card offers a choice of applications;
        the sale can no longer be abandoned once the kernel decides to go online."""
        from terminal.txn.chip import chip_sale, emulated_pinpad
        channel = open_chip_channel(spec)
        ui.card_presented()
        pin = emulated_pin(spec, getattr(args, "pin", None))
        try:
            with worker.paused():
                result, _ = chip_sale(engine, "purchase", amount_minor, channel,
                                      pinpad=emulated_pinpad(cfg, pin),
                                      choose_application=lambda cands: ui.choose_application(
                                          [c.label or c.aid.hex().upper() for c in cands]),
                                      on_online=ui.request_sent)
        finally:
            channel.close()
        approved = result.outcome in ("approved", "offline_approved")
        lines = receipt(cfg, result, dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")) if approved else None
        return OperatorOutcome(result.message, approved, lines)

    def process_sale(amount_minor: int, ui: SaleUI) -> OperatorOutcome:
        if spec.kind in ("emulated", "pcsc"):
            return chip(amount_minor, ui)
        ui.card_presented()
        try:
            card = card_from_swipe(read_tracks(spec), fallbacks, dt.date.today())
        except SwipeRefused as e:
            return OperatorOutcome(e.operator_line, False)
        if not ui.checkpoint():
            return OperatorOutcome("Sale cancelled: nothing sent", False)
        ui.request_sent()
        with worker.paused():
            row, verdict = engine.authorise("purchase", amount_minor, card)
            if ui.reversal_requested() and engine.journal.txn(row.id).state == "approved":
                engine.reverse(row, REVERSAL_CANCELLED, "operator cancelled after the request was sent",
                               "CANCELLED: sale reversed, customer not charged")
        result = engine.result(row, verdict)
        approved = result.outcome == "approved"
        lines = receipt(cfg, result, dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")) if approved else None
        return OperatorOutcome(result.message, approved, lines)

    return process_sale
