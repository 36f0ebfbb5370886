"""`posterm training drill NAME`, `posterm training drills`, `posterm training report`: guided drills of the
operator's mistakes on the real terminal code against the training host (terminal/training), and what the
trainee did. `posterm run --training` and `posterm sale --training` are the free-practice half."""
from __future__ import annotations

import argparse

from terminal.cli.common import add_common, emit

KEYS = {"CLEAR", "CANCEL", "ENTER", "F1", "F2", "F3", "F4"}
DRILL_NAMES = ("mistaken-cancel", "clear-on-empty", "card-pulled", "network-drop", "chip-swiped")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("training", help="training mode: guided drills and the trainee's report")
    tsub = p.add_subparsers(dest="training_command", required=True)
    d = tsub.add_parser("drill", help="one guided drill, then what the terminal did and why")
    d.add_argument("drill", choices=DRILL_NAMES, metavar="NAME", help=f"one of {', '.join(DRILL_NAMES)}")
    d.add_argument("--keys", metavar="SEQ", help="do the drill from a key script instead of this terminal's keys")
    add_common(d)
    d.set_defaults(run=run_drill, training=True)
    ls = tsub.add_parser("drills", help="the drills there are")
    add_common(ls)
    ls.set_defaults(run=run_list, training=True)
    r = tsub.add_parser("report", help="what the trainee did: every drill and the training sales")
    add_common(r)
    r.set_defaults(run=run_report, training=True)


def run_list(args: argparse.Namespace) -> int:
    from terminal.i18n.text import _
    from terminal.training.drills import DRILLS
    emit(args, {"training": True, "drills": [{"name": d.name, "title": d.title, "task": d.task}
                                             for d in DRILLS.values()]},
         [f"{d.name:16} {_(d.title)}" for d in DRILLS.values()])
    return 0


def _operator(args: argparse.Namespace, cfg, display):
    import sys
    import time

    from terminal.cli.common import UsageError
    from terminal.cli.sale_session import scripted_operator
    if args.keys:
        return scripted_operator(args.keys, cfg, show=display.show)
    if not sys.stdin.isatty():
        raise UsageError("training drill: stdin is not a terminal: give --keys SEQ")
    from drivers.keypad.tty import TtyKeySource
    from terminal.config import keypad_settings
    from terminal.keypad.fsm import KeypadFSM
    from terminal.keypad.settings import for_tty
    from terminal.keypad.states import State
    from terminal.txn.operator import KeypadOperator
    fsm = KeypadFSM(for_tty(keypad_settings(cfg)), start=State.AMOUNT_ENTRY)
    return KeypadOperator(fsm, TtyKeySource(sys.stdin.fileno()), time.monotonic, display.show)


def run_drill(args: argparse.Namespace) -> int:
    import datetime as dt
    import sys

    from terminal.cli.common import journal_path, load_config, open_journal, open_link
    from terminal.cli.reader_spec import parse_reader
    from terminal.cli.sale_session import card_source, emulated_pinpad, keyed_amount
    from terminal.hostsim.rules import parse_rule
    from terminal.i18n.text import _
    from terminal.i18n.width import wrap
    from terminal.keypad.screen import TextDisplay
    from terminal.keypad.states import State
    from terminal.training import record
    from terminal.training.drills import DRILLS, Attempt, review
    from terminal.training.session import banner, training_config, training_dir, training_host
    from terminal.txn.loop import Driver

    drill = DRILLS[args.drill]
    cfg = load_config(args)
    tdir = training_dir(journal_path(args))
    out = [f"*** {banner()} ***", _(drill.title), "", _(drill.task), ""]
    if not args.json:
        print("\n".join(out), flush=True)
    display = TextDisplay(sys.stdout.write if not args.json else (lambda s: None), sys.stdout.flush,
                          redraw=not args.keys and sys.stdout.isatty(), banner=banner())
    display.header = [line for part in out[1:4:2] for line in wrap(part, 78)]   # stays above the redrawn box
    with training_host(cfg, [parse_rule(r) for r in drill.rules]) as host:
        tcfg = training_config(cfg, host.address, timeout_s=drill.host_timeout_s)
        args._config, args.data_dir = tcfg, str(tdir)
        operator = _operator(args, tcfg, display)
        try:
            amount = keyed_amount(operator)
            outcome, message = "cancelled", "CANCELLED: nothing sent"
            if amount is not None:
                journal, link = open_journal(args, transacting=True), open_link(tcfg)
                spec = parse_reader(drill.reader)
                driver = Driver(tcfg, journal, link)
                try:
                    driver.recover()
                    card = card_source(spec)
                    pull = (lambda: card.channel.remove()) if drill.pull_card else None
                    result = driver.sale("purchase", amount, card, operator=operator,
                                         pinpad=emulated_pinpad(tcfg, spec, None), on_request_sent=pull)
                finally:
                    link.close()
                    journal.close()
                outcome, message = result.outcome, result.message
        finally:
            operator.keys.close()
        audit = list(operator.fsm.audit)
        keys = [e for e in audit if e.input in KEYS or e.input.isdigit() or e.input == "*"]   # not the events
        attempt = Attempt(outcome, message, tuple(e.input for e in keys),
                          tuple(e.input for e in keys if e.action.startswith("refused")),
                          any(e.input == "CANCEL" and e.before is State.PROCESSING for e in audit),
                          tuple(host.sent()))
    verdict = review(drill, attempt)
    entry = {"at": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "drill": drill.name,
             "outcome": outcome, "message": str(message), "keys": list(attempt.keys), "host": list(attempt.host),
             "as_asked": verdict.as_asked}
    record.append(tdir, entry)
    lines = ["", _("What the terminal did:"), *("  " + line for line in verdict.did), _("Why:"),
             *("  " + line for line in verdict.why), "",
             _("Done as the drill asked.") if verdict.as_asked else _("Not as the drill asked: try it again.")]
    emit(args, entry | {"training": True, "did": [str(x) for x in verdict.did],
                        "why": [str(x) for x in verdict.why]}, lines)
    return 0


def run_report(args: argparse.Namespace) -> int:
    from terminal.cli.common import journal_path
    from terminal.i18n.text import _
    from terminal.training import record
    from terminal.training.drills import DRILLS
    from terminal.training.session import banner, training_dir
    tdir = training_dir(journal_path(args))
    drills = record.read(tdir)
    sales = _training_sales(tdir)
    lines = [f"*** {banner()} ***"]
    for d in drills:
        known = DRILLS.get(d.get("drill", ""))
        title = _(known.title) if known else d.get("drill", "?")
        verdict = _("as asked") if d.get("as_asked") else _("to practise again")
        lines.append(_("{at}  {title}: {verdict} (keys {keys}; the host received {sent}; {message})",
                       at=_shown_time(d.get("at", "")), title=title, verdict=verdict, keys=",".join(d.get("keys", [])) or "-",
                       sent=", ".join(d.get("host", [])) or _("nothing"), message=_(d.get("message", ""))))
    done = sum(1 for d in drills if d.get("as_asked"))
    lines.append(_("{count} drill(s), {done} as asked; {sales} training sale(s) in the training journal",
                   count=len(drills), done=done, sales=sum(sales.values())))
    emit(args, {"training": True, "drills": drills, "drills_as_asked": done, "sales_by_outcome": sales}, lines)
    return 0


def _shown_time(iso: str) -> str:
    import datetime as dt

    from terminal.i18n.dates import format_datetime
    try:
        return format_datetime(dt.datetime.fromisoformat(iso))
    except ValueError:
        return iso or "?"


def _training_sales(tdir) -> dict[str, int]:
    """The training journal's transactions by state; empty when there is no training journal yet."""
    if not (tdir / "journal.sqlite3").exists():
        return {}
    from terminal.store import Journal
    journal = Journal(tdir / "journal.sqlite3")
    try:
        counts: dict[str, int] = {}
        for row in journal.txns(1_000_000):
            counts[str(row.state)] = counts.get(str(row.state), 0) + 1
        return counts
    finally:
        journal.close()
