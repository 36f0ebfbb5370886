"""`posterm sale [AMOUNT]` and `posterm refund AMOUNT`: one online financial transaction."""
from __future__ import annotations

import argparse

from terminal.cli.common import UsageError, add_common, emit, load_config, open_journal, open_link, parse_amount
from terminal.cli.options import float_range, pin_digits
from terminal.cli.training_mode import add_training_option

READERS = "emulated:PROFILE, emulated-swipe:PROFILE, pcsc, pcsc:NAME, serial:DEVICE"


def reader_from(args: argparse.Namespace, cfg) -> str:
    """--reader, else [reader] spec; nothing emulated unless asked."""
    spec = getattr(args, "reader", None) or cfg.reader.spec
    if not spec:
        from terminal.i18n.text import N_
        raise UsageError(N_("no card reader: give --reader SPEC ({readers}) or set [reader] spec in the config "
                            "({source})", readers=READERS, source=cfg.source))
    return spec


def register(sub: argparse._SubParsersAction) -> None:
    for name, kind, help_ in (("sale", "purchase", "one purchase"), ("refund", "refund", "one refund")):
        p = sub.add_parser(name, help=help_)
        p.add_argument("amount", nargs="?" if name == "sale" else None, help="major units with a dot, e.g. 12.34")
        add_common(p)
        p.add_argument("--reader", metavar="SPEC",
                       help=f"the card reader: {READERS}; default [reader] spec (no default: nothing is "
                            "emulated unless asked)")
        p.add_argument("--keys", metavar="SEQ", help="scripted keypad: 0-9, CLEAR, CANCEL, ENTER, WAIT:SECONDS; "
                       "with AMOUNT it starts after the amount (e.g. WAIT:0.5,CANCEL,ENTER while processing)")
        p.add_argument("--pin", metavar="DIGITS", type=pin_digits,
                       help="for emulated readers: the PIN (4-12 digits) the cardholder enters")
        p.add_argument("--card-timeout", type=float_range(1, 300), metavar="SECONDS",
                       help="how long to wait for a card or a swipe, 1-300 (default [reader] card_timeout_s, 30)")
        p.add_argument("--apdu-trace", metavar="FILE",
                       help="record the card session's APDUs to FILE, sensitive data masked (docs/firmware_tools.md)")
        add_training_option(p)
        p.set_defaults(run=run, kind=kind)


def _operator(args: argparse.Namespace, cfg, amount: int | None):
    """The operator for this sale: the --keys script, this terminal's keyboard when no AMOUNT was given, or
    nobody (AMOUNT given, no script)."""
    import sys
    import time

    from terminal.cli.sale_session import scripted_operator
    if args.keys:
        return scripted_operator(args.keys, cfg, amount=amount)
    if amount is not None:
        return None
    if not sys.stdin.isatty():
        raise UsageError("no AMOUNT: give one (e.g. 12.34), key it in with --keys, or run at a terminal")
    from drivers.keypad.tty import TtyKeySource
    from terminal.config import keypad_settings
    from terminal.keypad.fsm import KeypadFSM
    from terminal.keypad.screen import TextDisplay
    from terminal.keypad.settings import for_tty
    from terminal.keypad.states import State
    from terminal.txn.operator import KeypadOperator
    display = TextDisplay(sys.stdout.write, sys.stdout.flush, redraw=True)
    fsm = KeypadFSM(for_tty(keypad_settings(cfg)), start=State.AMOUNT_ENTRY)
    return KeypadOperator(fsm, TtyKeySource(sys.stdin.fileno()), time.monotonic, display.show)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "training", False):
        from terminal.cli.training_mode import in_training
        return in_training(args, _sale)
    return _sale(args)


def _sale(args: argparse.Namespace) -> int:
    from terminal.cli.reader_spec import parse_reader
    from terminal.cli.sale_session import card_source, chip_extras, emulated_pinpad, keyed_amount, show_result
    from terminal.txn import crashpoints
    from terminal.txn.loop import Driver
    from terminal.txn.records import SaleResult

    cfg = load_config(args)
    amount = parse_amount(args.amount, cfg.limits.max_amount, cfg.terminal.currency) if args.amount is not None else None
    spec = parse_reader(reader_from(args, cfg))
    card_timeout = args.card_timeout or cfg.reader.card_timeout_s
    operator = _operator(args, cfg, amount)
    try:
        if amount is None:
            amount = keyed_amount(operator)
            if amount is None:
                result = SaleResult(None, None, "cancelled", None, None, None, 0, cfg.terminal.currency, "", "",
                                    "CANCELLED: nothing sent")
                emit(args, result.to_json(), [result.message])
                return 3
        journal = open_journal(args, transacting=True)
        link = open_link(cfg)
        source, trace = card_source(spec, card_timeout), None
        if args.apdu_trace:
            from firmware_tools.trace import TraceWriter
            trace = TraceWriter(args.apdu_trace)
            source = trace.watch(source)
        driver = Driver(cfg, journal, link, crash=crashpoints.from_env(), tracer=trace)
        from terminal.cli.status_line import StatusLine
        if StatusLine.wanted(args):   # on a tty, without --json: the card and host waits on stderr
            driver.progress = StatusLine(card_timeout_s=card_timeout)
        try:
            driver.recover()
            result = driver.sale(args.kind, amount, source, operator=operator,
                                 pinpad=emulated_pinpad(cfg, spec, args.pin))
            from terminal.receipt.output import after_sale
            from terminal.training.session import mark_slip
            slip = after_sale(journal, cfg, result, mark=mark_slip if getattr(args, "training", False) else None)
        finally:
            if trace is not None:
                trace.close()
            link.close()
            journal.close()
    finally:
        keys = getattr(operator, "keys", None)
        if keys is not None:
            keys.close()
    extra = chip_extras(driver) if spec.kind in ("emulated", "pcsc", "replay") else {}
    return show_result(args, cfg, result, args.kind, extra, slip=slip)
