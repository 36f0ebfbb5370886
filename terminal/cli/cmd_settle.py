"""`posterm settle` (close the batch) and `posterm void TXN_ID` (void a purchase of the open batch)."""
from __future__ import annotations

import argparse

from terminal.cli.common import UsageError, add_common, emit, load_config, open_journal, open_link
from terminal.cli.options import txn_id
from terminal.i18n.text import _


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("settle", help="close the batch with the host")
    add_common(p)
    p.set_defaults(run=run_settle)
    v = sub.add_parser("void", help="void a purchase of the open batch")
    v.add_argument("txn_id", type=txn_id, metavar="TXN_ID", help="the approved purchase to void (txn list)")
    add_common(v)
    v.set_defaults(run=run_void)


def _engine(args: argparse.Namespace):
    from terminal.txn.engine import Engine
    cfg = load_config(args)
    from terminal.txn import crashpoints
    engine = Engine(cfg, open_journal(args, transacting=True), open_link(cfg), crash=crashpoints.from_env())
    engine.recover()
    return cfg, engine


def run_settle(args: argparse.Namespace) -> int:
    from terminal.txn.settle import settle
    from terminal.receipt.settlement import deliver, render, slip_for
    from terminal.cli.status_line import StatusLine
    cfg, engine = _engine(args)
    status = StatusLine() if StatusLine.wanted(args) else None
    engine.driver.progress = status   # SAF deliveries before the 0500 show as n of m
    try:
        if status:
            status("settle", 0.0, 0.0)
        r = settle(engine)
    finally:
        if status:
            status(None, 0.0, 0.0)
        engine.link.close()
    slip = slip_for(r, engine.journal, cfg, engine.clock.now().local)
    lines = render(slip, cfg.receipt.width)
    delivery = deliver(cfg, slip)   # the printer when [printer] spec names one, else stdout
    promoted = None
    if r.outcome == "closed":
        engine.journal.close()              # a pending bundle may start a new journal (a new terminal id)
        promoted = _promote_bundle(args)
    shown = delivery.lines or [r.message]   # printed: the operator still reads the outcome
    if promoted:
        shown = shown + [_("parameter bundle version {version} now in force: {changes}").format(
            version=promoted["version"], changes="; ".join(promoted["changes"]))]
    emit(args, {"batch": r.batch, "outcome": r.outcome, "message": r.message, "credits_count": r.credits[0],
                "credits_amount": r.credits[1], "debits_count": r.debits[0], "debits_amount": r.debits[1],
                "uploaded": r.uploaded, "response_code": r.response_code, "local_time": slip.when.isoformat(),
                "by_kind": {k: {"count": c.count, "amount": c.amount}
                            for k, c in zip(("sales", "refunds", "voided"), slip.kinds)},
                "by_brand": {b: {"count": c.count, "amount": c.amount} for b, c in zip(slip.brand_keys, slip.brands)},
                "settlement_note": slip.money_line, "slip": lines, "bundle_promoted": promoted}
         | delivery.to_json(), shown)
    return r.exit_code


def _promote_bundle(args: argparse.Namespace) -> dict | None:
    """The batch closed: a signed bundle that was waiting for it (it changes the batch's identity) is made
    current now (firmware_tools/bundle.py promote_pending)."""
    from firmware_tools.bundle import BundleError, Installed
    from terminal.cli.common import journal_path, load_base_config
    try:
        return Installed(journal_path(args)).promote_pending(load_base_config(args))
    except BundleError as e:
        raise UsageError(f"settled, but the waiting bundle could not be made current: {e}") from None


def run_void(args: argparse.Namespace) -> int:
    from terminal.store import StoreError
    from terminal.txn.records import CardInput
    cfg, engine = _engine(args)
    try:
        orig = engine.journal.txn(args.txn_id)
    except StoreError as e:
        raise UsageError(str(e)) from None
    if orig.kind != "purchase" or orig.state != "approved" or orig.batch != engine.journal.current_batch():
        raise UsageError(f"transaction {orig.id} is a {orig.kind} in state {orig.state}, batch {orig.batch:06d}:"
                         " only an approved purchase of the open batch can be voided")
    if not orig.rrn:
        raise UsageError(f"transaction {orig.id} has no RRN from the host: it cannot be voided, refund it instead")
    from terminal.receipt.output import after_sale
    try:
        result = engine.sale("void", orig.amount, CardInput(orig.entry_mode, orig.masked_pan), original=orig)
        slip = after_sale(engine.journal, cfg, result)
    finally:
        engine.link.close()
    shown = {"slip": slip.to_json()} if slip is not None and cfg.printer.spec else {}
    emit(args, result.to_json() | {"voids": orig.id} | shown, [_(result.message), *(slip.lines if slip else [])])
    return result.exit_code
