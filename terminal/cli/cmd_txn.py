"""`posterm txn list` and `posterm txn show ID`: the journal, and one transaction explained in one line."""
from __future__ import annotations

import argparse
from terminal.cli.common import UsageError, add_common, emit, open_journal
from terminal.cli.options import int_range, txn_id
from terminal.cli.txn_filters import add_filters


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("txn", help="the journal")
    tsub = p.add_subparsers(dest="txn_command", required=True)
    for name, run, what, limit in (
            ("list", run_list, "recent transactions, the archive included", "show the N most recent transactions"),
            ("find", run_find, "the customer's question: one line per match, with where the money stands",
             "at most N matches, newest first")):
        lp = tsub.add_parser(name, help=what)
        add_common(lp)
        lp.add_argument("--limit", type=int_range(1, 1_000_000), default=50, metavar="N",
                        help=f"{limit}, 1 to 1000000 (default 50)")
        add_filters(lp)
        lp.set_defaults(run=run)
    sp = tsub.add_parser("show", help="one transaction: state, history, explanation")
    sp.add_argument("txn_id", type=txn_id, metavar="TXN_ID", help="the transaction id (txn list, first column)")
    add_common(sp)
    sp.set_defaults(run=run_show)
    ap = tsub.add_parser("ack-alert", help="acknowledge the key alert raised by a 63 from the host")
    add_common(ap)
    ap.set_defaults(run=run_ack_alert)


def run_ack_alert(args: argparse.Namespace) -> int:
    alert = open_journal(args, transacting=True).clear_key_alert()
    from terminal.i18n.text import _
    emit(args, {"cleared": alert}, [_("cleared: {alert}", alert=alert) if alert else _("no key alert was raised")])
    return 0


def _found(args: argparse.Namespace, *, need_filter: bool = False):
    """(journal, filter, [(row, archived)]) for the filter options, newest first, archive included."""
    from terminal.cli.common import load_config
    from terminal.cli.txn_filters import build_filter
    from terminal.txn.clock import SYSTEM
    f = build_filter(args, currency=load_config(args).terminal.currency, today=SYSTEM.now().local.date())
    if need_filter and f.empty:
        raise UsageError("txn find: say what to look for: --date, --from, --to, --amount, --last4, --state or"
                         " --batch (txn list shows everything)")
    journal = open_journal(args)
    return journal, f, journal.find(f, args.limit)


def run_list(args: argparse.Namespace) -> int:
    from terminal.i18n.dates import format_datetime
    from terminal.i18n.money import format_amount
    from terminal.i18n.text import _
    from terminal.i18n.width import ljust, rjust
    from terminal.receipt import TXN_KIND_WORDS as KIND_WORDS
    from terminal.txn.explain import explain
    from terminal.txn.words import state_word
    journal, _f, found = _found(args)
    alert = journal.key_alert()
    lines = [_("ATTENTION: {alert}: the terminal's keys may be wrong, call the acquirer").format(alert=alert)] \
        if alert else []
    lines.append(" ".join([rjust(_("ID"), 5), ljust(_("DATE"), 10), ljust(_("TIME"), 8), ljust(_("STAN"), 6),
                           ljust(_("KIND"), 8), rjust(_("AMOUNT"), 14), ljust(_("CARD"), 19), ljust(_("STATE"), 17),
                           _("WHAT HAPPENED")]))
    for r, _archived in found:
        kind, state = ljust(_(KIND_WORDS.get(r.kind, r.kind)), 8), ljust(state_word(r.state), 17)
        lines.append(f"{r.id:>5} {format_datetime(r.local_time)} {r.stan:06d} {kind}"
                     f" {rjust(format_amount(r.amount, r.currency), 14)} {r.masked_pan:19} {state}"
                     f" {explain(r, journal)}")
    emit(args, {"transactions": [_json(r, journal) | {"archived": a} for r, a in found], "key_alert": alert}, lines)
    return 0


def run_find(args: argparse.Namespace) -> int:
    from terminal.cli.txn_filters import describe
    from terminal.txn.find import answer, nothing_found
    journal, f, found = _found(args, need_filter=True)
    lines = [answer(r, journal) for r, _archived in found] or [nothing_found(describe(f))]
    emit(args, {"matches": [_json(r, journal) | {"archived": a, "line": answer(r, journal)} for r, a in found]},
         lines)
    return 0


def run_show(args: argparse.Namespace) -> int:
    from terminal.i18n.money import format_amount
    from terminal.receipt import ENTRY_WORDS
    from terminal.receipt import TXN_KIND_WORDS as KIND_WORDS
    from terminal.store import StoreError
    from terminal.txn.explain import explain
    journal = open_journal(args)
    try:
        row = journal.txn(args.txn_id)
    except StoreError as e:
        raise UsageError(str(e)) from None
    from terminal.i18n.text import _
    lines = [_("Transaction {id}: {explanation}", id=row.id, explanation=explain(row, journal)), "",
             "  " + _("{kind} of {amount}, card {card}, {entry} (entry mode {mode})", kind=_(KIND_WORDS.get(
                 row.kind, row.kind)), amount=format_amount(row.amount, row.currency), card=row.masked_pan,
                 entry=_(ENTRY_WORDS.get(row.entry_mode, row.entry_mode)).lower(), mode=row.entry_mode),
             "  " + _("STAN {stan}, batch {batch}, RRN {rrn}, auth {auth}, response {code}", stan=f"{row.stan:06d}",
                      batch=f"{row.batch:06d}", rrn=row.rrn or "-", auth=row.auth_code or "-",
                      code=row.response_code or "-"), "", "  " + _("history:")]
    from terminal.i18n.width import ljust
    from terminal.txn.words import state_word
    lines += [f"    {at}  {ljust(state_word(state), 17)} {reason}" for at, state, reason in journal.events(row.id)]
    carried = journal.carried(row.id)
    if carried:
        lines += ["", "  " + _("messages (which host address carried each):")]
        lines += [f"    {m.at}  {m.mti} STAN {m.stan:06d} via {m.address}" for m in carried]
    emit(args, _json(row, journal) | {"history": journal.events(row.id),
                                      "messages": [{"at": m.at, "mti": m.mti, "stan": m.stan, "address": m.address}
                                                   for m in carried]}, lines)
    return 0


def _json(row, journal) -> dict:
    from dataclasses import asdict
    from terminal.txn.explain import explain
    d = asdict(row)
    d["local_time"] = row.local_time.isoformat()
    d["explanation"] = explain(row, journal)
    return d
