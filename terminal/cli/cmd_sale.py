"""`posterm sale [AMOUNT]` and `posterm refund AMOUNT`: one online financial transaction."""
from __future__ import annotations

import argparse
import datetime as dt

from terminal.cli.common import (EXIT_DEVICE, UsageError, add_common, emit, load_config, open_journal, open_link,
                                 parse_amount)
from terminal.cli.reader_spec import emulated_pin, open_chip_channel, parse_reader, read_tracks

DEFAULT_READER = "emulated-swipe:magstripe"


def register(sub: argparse._SubParsersAction) -> None:
    for name, kind, help_ in (("sale", "purchase", "one purchase"), ("refund", "refund", "one refund")):
        p = sub.add_parser(name, help=help_)
        p.add_argument("amount", nargs="?" if name == "sale" else None, help="major units with a dot, e.g. 12.34")
        add_common(p)
        p.add_argument("--reader", default=DEFAULT_READER, metavar="SPEC",
                       help=f"emulated:PROFILE, emulated-swipe:PROFILE, pcsc, pcsc:NAME, serial:DEVICE "
                            f"(default {DEFAULT_READER})")
        p.add_argument("--keys", metavar="SEQ", help="scripted keypad: 0-9, CLEAR, CANCEL, ENTER, WAIT:SECONDS")
        p.add_argument("--pin", metavar="DIGITS", help="for emulated readers: the PIN the cardholder enters")
        p.add_argument("--card-timeout", type=float, default=30.0, metavar="SECONDS",
                       help="how long to wait for a card or a swipe (default 30)")
        p.set_defaults(run=run, kind=kind)


def read_amount(args: argparse.Namespace, cfg) -> int | None:
    """AMOUNT from the command line, else keyed in on the operator keypad: the --keys script, or this terminal
    (digits, ENTER, ENTER on the confirmation; CANCEL then ENTER gives up)."""
    if args.amount is not None:
        return parse_amount(args.amount, cfg.limits.max_amount)
    import sys

    from terminal.config import keypad_settings
    settings = keypad_settings(cfg)

    from drivers.keypad.errors import KeyScriptError, KeySourceExhausted
    from terminal.keypad.runloop import read_amount as keyed_amount
    if args.keys:
        from drivers.keypad.script import ScriptedKeys
        try:
            return keyed_amount(ScriptedKeys.parse(args.keys), settings=settings)
        except KeyScriptError as e:
            raise UsageError(f"--keys: {e}") from None
        except KeySourceExhausted:
            raise UsageError("--keys: the script ended before the amount was confirmed (digits, ENTER, ENTER)") \
                from None
    if not sys.stdin.isatty():
        raise UsageError("no AMOUNT: give one (e.g. 12.34), key it in with --keys, or run at a terminal")
    from drivers.keypad.tty import TtyKeySource
    from terminal.keypad.screen import TextDisplay
    from terminal.keypad.settings import for_tty
    settings = for_tty(settings)
    display = TextDisplay(sys.stdout.write, sys.stdout.flush, redraw=True)
    with TtyKeySource(sys.stdin.fileno()) as keys:
        amount = keyed_amount(keys, settings=settings, show=display.show)
    print()
    return amount


def run(args: argparse.Namespace) -> int:
    from terminal.txn.engine import Engine
    from terminal.txn.records import SaleResult
    from terminal.txn.swipe import SwipeRefused, card_from_swipe, swipe_sale

    cfg = load_config(args)
    spec = parse_reader(args.reader)
    amount = read_amount(args, cfg)
    if amount is None:
        emit(args, _nothing_sent(cfg, 0, "cancelled", "CANCELLED: nothing sent"), ["CANCELLED: nothing sent"])
        return 3
    if spec.kind in ("emulated", "pcsc"):
        return _chip(args, cfg, spec, amount)
    from terminal.store.fallbacks import JournalFallbackStore
    journal = open_journal(args, transacting=True)
    try:
        card = card_from_swipe(read_tracks(spec, args.card_timeout), JournalFallbackStore(journal), dt.date.today())
    except SwipeRefused as e:
        journal.close()
        emit(args, _nothing_sent(cfg, amount, "not_sent", e.operator_line) | {"reason": e.reason},
             [e.operator_line, f"({e.reason}; nothing sent)"])
        return EXIT_DEVICE
    link = open_link(cfg)
    try:
        result: SaleResult = swipe_sale(Engine(cfg, journal, link), args.kind, amount, card)
    finally:
        link.close()
        journal.close()
    return _show(args, cfg, result)


def _nothing_sent(cfg, amount: int, outcome: str, message: str) -> dict:
    """The contract's JSON result for a sale that ended before any transaction existed."""
    from terminal.txn.records import SaleResult
    return SaleResult(None, None, outcome, None, None, None, amount, cfg.terminal.currency, "", "",
                      message).to_json()


def _show(args: argparse.Namespace, cfg, result, extra: dict | None = None) -> int:
    from terminal.receipt import format_amount, receipt
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    lines = [f"AMOUNT {format_amount(result.amount, cfg.terminal.currency)}", result.message]
    if result.outcome in ("approved", "offline_approved"):
        lines += receipt(cfg, result, when, "SALE" if args.kind == "purchase" else "REFUND")
    emit(args, result.to_json() | (extra or {}), lines)
    if result.id is None and result.message.startswith("CARD ERROR"):
        return EXIT_DEVICE
    return result.exit_code


def _chip(args: argparse.Namespace, cfg, spec, amount: int) -> int:
    """A chip sale (contact or contactless) through the EMV kernel."""
    from terminal.txn.chip import chip_sale, emulated_pinpad
    from terminal.txn.engine import Engine
    channel = open_chip_channel(spec, args.card_timeout)
    journal = open_journal(args, transacting=True)
    link = open_link(cfg)
    try:
        pin = emulated_pin(spec, args.pin)
        result, outcome = chip_sale(Engine(cfg, journal, link), args.kind, amount, channel,
                                    pinpad=emulated_pinpad(cfg, pin))
    finally:
        link.close()
        journal.close()
        channel.close()
    return _show(args, cfg, result, {"tvr": outcome.tvr.hex().upper(), "cvm": outcome.cvm,
                                     "application": outcome.application_label})
