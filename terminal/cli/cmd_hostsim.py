"""`posterm host-sim --port PORT`: the acquirer host simulator in the foreground."""
from __future__ import annotations

import argparse

from terminal.cli.common import UsageError, add_common, load_config
from terminal.cli.options import int_range


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("host-sim", help="the acquirer host simulator in the foreground")
    p.add_argument("--port", type=int_range(0, 65535), default=5000,
                   help="TCP port to listen on, 0 for any free one (printed); default 5000")
    p.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS", help="address to listen on (default 127.0.0.1)")
    add_common(p)   # --config: the MAC and PIN keys are taken from [keys]
    p.add_argument("--ledger", metavar="FILE", help="keep the host's ledger in this SQLite file")
    p.add_argument("--rule", action="append", default=[], metavar="RULE",
                   help="e.g. amount=5100:code=51, mti=0200:delay=40, amount=777:silent (repeatable)")
    p.add_argument("--merchant", action="append", default=[], metavar="ID",
                   help="enabled merchant ids (repeatable; default: all)")
    p.add_argument("--tls-cert", metavar="PEM", help="serve TLS with this certificate chain")
    p.add_argument("--tls-key", metavar="PEM", help="and this private key")
    p.add_argument("--tls-client-ca", metavar="PEM",
                   help="require a client certificate signed by this CA (mutual TLS)")
    p.add_argument("--out-of-order", action="store_true",
                   help="answer requests that arrive together (a terminal's store-and-forward window) newest first")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from terminal.hostsim.ledger import Ledger
    from terminal.hostsim.logic import HostPolicy
    from terminal.hostsim.rules import RuleError, parse_rule
    from terminal.hostsim.server import HostServer
    cfg = load_config(args)
    try:
        rules = [parse_rule(r) for r in args.rule]
    except RuleError as e:
        raise UsageError(str(e)) from None
    from terminal.logs import setup
    # One line per message (MTI, STAN, amount, response code, masked PAN) on stderr, and --log-file.
    setup(max(1, args.verbose), args.log_file, args.trace_iso, fmt="host-sim %(asctime)s %(levelname)s %(message)s")
    tls = None
    if args.tls_client_ca and not args.tls_cert:
        raise UsageError("--tls-client-ca needs --tls-cert and --tls-key")
    if args.tls_cert or args.tls_key:
        from terminal.hostsim.server import tls_context
        if not (args.tls_cert and args.tls_key):
            raise UsageError("--tls-cert and --tls-key go together")
        try:
            tls = tls_context(args.tls_cert, args.tls_key, args.tls_client_ca)
        except (OSError, ValueError) as e:
            raise UsageError(f"TLS certificate or key: {e}") from None
    server = HostServer((args.bind, args.port), cfg.keys.mac_key, ledger=Ledger(args.ledger or ":memory:"),
                        rules=rules, policy=HostPolicy(merchants=set(args.merchant), pin_key=cfg.keys.pin_key), tls=tls,
                        out_of_order=args.out_of_order)
    print(f"host-sim listening on {args.bind}:{server.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
