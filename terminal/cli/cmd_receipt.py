"""`posterm receipt TXN_ID [--copy merchant|customer]`: print a transaction's slip again, marked REPRINT / 重打印,
built from the journal as the first one was (terminal/receipt/)."""
from __future__ import annotations

import argparse

from terminal.cli.common import UsageError, add_common, emit, load_config, open_journal
from terminal.cli.options import txn_id


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("receipt", help="reprint a transaction's slip (REPRINT)")
    p.add_argument("txn_id", type=txn_id, metavar="TXN_ID", help="the transaction id (txn list, first column)")
    p.add_argument("--copy", choices=("merchant", "customer"),
                   help="only this copy (default: the [receipt] copies on the printer, the cardholder copy on screen)")
    add_common(p)
    from terminal.cli.training_mode import add_training_option
    add_training_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from terminal.receipt.output import copies_for, deliver
    from terminal.receipt.slip import NoSlip
    from terminal.store import StoreError
    cfg = load_config(args)
    mark = None
    if getattr(args, "training", False):   # a training sale's slip, from the training journal, marked again
        from terminal.cli.common import journal_path
        from terminal.training.session import mark_slip, training_dir
        args.data_dir, mark = str(training_dir(journal_path(args))), mark_slip
    journal = open_journal(args)
    try:
        delivery = deliver(journal, cfg, args.txn_id, copy=args.copy, reprint=True, mark=mark)
    except (StoreError, NoSlip) as e:
        raise UsageError(str(e)) from None
    finally:
        journal.close()
    result = {"id": args.txn_id, "reprint": True} | ({"training": True} if mark else {})
    if cfg.printer.spec:
        result |= {"copies": copies_for(cfg, args.copy)} | delivery.to_json()
    else:
        result |= {"copies": [args.copy or "customer"], "lines": delivery.lines}
    emit(args, result, delivery.lines)
    return 4 if delivery.problem else 0
