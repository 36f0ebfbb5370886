"""`posterm run`: the operator's terminal. The keypad drives sale after sale until Ctrl-C (or the end of a
--keys script); each confirmed amount is one sale of the driver loop (terminal/txn/loop.py), the same sale
`posterm sale` makes, with the keypad live throughout."""
from __future__ import annotations

import argparse
import sys
import time


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="the operator's terminal: keypad, screen, sale after sale")
    from terminal.cli.options import add_common, pin_digits
    add_common(p)
    p.add_argument("--keys", metavar="SEQ", help="feed the keypad from a script: 1,2,3,ENTER,ENTER,WAIT:2,...")
    p.add_argument("--keypad-device", metavar="DEVICE", help="a Linux input device (/dev/input/eventN) as the "
                   "keypad; default: this terminal")
    p.add_argument("--reader", action="append", metavar="SPEC",
                   help="the card reader (default [reader] spec; none: exit 2, nothing is emulated unless asked); "
                        "given more than once, the sales take the readers in turn (a test rig presenting chip, "
                        "tap and swipe cards in one session)")
    p.add_argument("--pin", metavar="DIGITS", type=pin_digits,
                   help="for emulated readers: the PIN the emulated cardholder enters")
    from terminal.cli.training_mode import add_training_option
    add_training_option(p)
    p.set_defaults(run=run)


def _operator(args: argparse.Namespace, cfg, display):
    from drivers.keypad.keymap import evdev_map_from, tty_map_from
    from terminal.config import keypad_settings
    from terminal.keypad.fsm import KeypadFSM
    from terminal.keypad.settings import for_tty
    from terminal.txn.operator import KeypadOperator
    if args.keys is not None:
        from terminal.cli.sale_session import scripted_operator
        return scripted_operator(args.keys, cfg, start_idle=True, show=display.show)
    settings = keypad_settings(cfg)
    if args.keypad_device:
        from drivers.keypad.evdev import EvdevKeySource
        source = EvdevKeySource(args.keypad_device, evdev_map_from(cfg.keypad.get("evdev_map")))
    else:
        from drivers.keypad.tty import TtyKeySource
        if not sys.stdin.isatty():
            from terminal.cli.common import UsageError
            raise UsageError("run: stdin is not a terminal: give --keys SEQ or --keypad-device DEVICE")
        source = TtyKeySource(sys.stdin.fileno(), tty_map_from(cfg.keypad.get("tty_map")))
        settings = for_tty(settings)
    return KeypadOperator(KeypadFSM(settings), source, time.monotonic, display.show)


class ReadyScreen:
    """The operator's display, with the end of day's notice (terminal/txn/end_of_day.py) and the count of alerts
    not yet acknowledged (风险预警, `posterm alerts`) on the READY screen."""

    def __init__(self, display) -> None:
        self.display, self.operator, self.end_of_day = display, None, None
        self.open_alerts = None   # () -> int: one indexed count, read each time READY is drawn
        self.link_watch = None   # the link and the store-and-forward backlog, under the box (txn/link_watch.py)

    def show(self, screen) -> None:
        from terminal.keypad.states import State
        status = ""
        if self.operator is not None and self.operator.fsm.state is State.IDLE:
            if self.end_of_day is not None:
                screen = self.end_of_day.ready_screen(screen)
            from terminal.i18n.text import _
            count = self.open_alerts() if self.open_alerts is not None else 0
            if count and screen.message == _("Key in the amount"):   # a notice of the last sale comes first
                from terminal.keypad.screen import Screen
                screen = Screen(screen.title, screen.value, _("{count} ALERT(S): see posterm alerts", count=count))
            if self.link_watch is not None:
                status = self.link_watch.line()
        self.display.show(screen, status)

    def poll(self) -> None:
        """On the READY screen: settle if it is time, echo if the link was idle, then show READY again with what
        the operator must know."""
        changed = self.end_of_day is not None and self.end_of_day.poll()
        if self.link_watch is not None and self.link_watch.poll():
            changed = True
        if changed:
            self.show(self.operator.fsm.screen)


class SecondTapLine:
    """The driver's progress callback in `posterm run`: during a contactless issuer update (Book C-3) the
    cardholder must tap again while the keypad stays on PROCESSING, so the line under the box says so, in the
    operator's language, and goes once the wait ends. Other progress (host, card) is the box's business."""

    def __init__(self, display, screen) -> None:
        self.display, self.screen, self.showing = display, screen, False

    def __call__(self, what: str | None, _elapsed_s: float, _total_s: float) -> None:
        if what == "card_again":
            from terminal.i18n.text import _
            self.showing = True
            self.display.show(self.screen(), _("PRESENT CARD AGAIN"))
        elif self.showing:
            self.showing = False
            self.display.show(self.screen())


def run(args: argparse.Namespace) -> int:
    if args.training:
        from terminal.cli.training_mode import in_training
        return in_training(args, _serve)
    return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    # Imported here so `posterm --help` does not pay for the keypad.
    from drivers.keypad.errors import KeypadDeviceError
    from terminal.cli.cmd_sale import reader_from
    from terminal.cli.common import journal_path, load_config, open_journal, open_link
    from terminal.cli.reader_spec import parse_reader
    from terminal.cli.sale_session import card_source, emulated_pinpad
    from terminal.keypad.screen import TextDisplay
    from terminal.receipt.output import after_sale
    from terminal.txn.background import SafWorker
    from terminal.txn import crashpoints
    from terminal.txn.loop import Driver
    from terminal.txn.operator import serve

    from terminal.training.session import banner, mark_slip
    display = TextDisplay(sys.stdout.write, sys.stdout.flush, redraw=args.keys is None and sys.stdout.isatty(),
                          banner=banner() if args.training else "")
    cfg = load_config(args)   # errors: exit 2 (config, keys script, key map), 4 (keypad device), by main
    specs = [parse_reader(r) for r in (args.reader or [reader_from(args, cfg)])]
    ready = ReadyScreen(display)   # the READY screen carries the end of day's notice (a settlement to retry)
    operator = ready.operator = _operator(args, cfg, ready)
    journal = open_journal(args, transacting=True)
    ready.open_alerts = journal.alerts.open_count
    link = open_link(cfg)
    driver = Driver(cfg, journal, link, crash=crashpoints.from_env())
    driver.progress = SecondTapLine(display, lambda: operator.fsm.screen)
    driver.recover()
    worker = SafWorker(cfg, journal_path(args) / "journal.sqlite3")
    worker.start()
    readers = [(spec, emulated_pinpad(cfg, spec, args.pin)) for spec in specs]
    from terminal.txn.link_watch import LinkWatch
    ready.link_watch = LinkWatch(cfg, journal, link)
    if cfg.settlement.auto_at:
        from terminal.txn.auto_settle import AutoSettle
        from terminal.txn.end_of_day import EndOfDay
        from terminal.txn.engine import Engine
        from terminal.receipt.settlement import deliver, slip_for

        def settlement_slip(result, when) -> None:   # to the printer, else under the box
            printed = deliver(cfg, slip_for(result, journal, cfg, when))
            if printed.lines:
                display.show_receipt(printed.lines)
        ready.end_of_day = EndOfDay(AutoSettle.from_config(cfg.settlement.auto_at, cfg.settlement.retry_s),
                                    Engine(cfg, journal, link, crash=crashpoints.from_env()), paused=worker.paused,
                                    show=display.show, show_slip=settlement_slip)
    made = [0]

    def sale(amount_minor: int) -> None:
        spec, pinpad = readers[made[0] % len(readers)]
        made[0] += 1
        with worker.paused():   # the worker's drain and this sale never interleave on the wire
            result = driver.sale("purchase", amount_minor, card_source(spec), operator=operator, pinpad=pinpad)
        ready.link_watch.touched()
        slip = after_sale(journal, cfg, result, mark=mark_slip if args.training else None)
        if slip is not None and slip.lines:
            display.show_receipt(slip.lines)

    ready.show(operator.fsm.screen)
    try:
        serve(operator, sale, on_new_sale=display.clear_receipt, on_ready=ready.poll)
    except KeypadDeviceError as exc:
        from terminal.i18n.text import _
        print("\n" + _("posterm run: keypad error: {error}", error=str(exc)), file=sys.stderr)
        return 4
    finally:
        operator.keys.close()
        worker.stop()
        link.close()
        journal.close()
    print()
    return 0
