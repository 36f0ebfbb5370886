"""`posterm fw ...`: firmware_tools behind one command group (docs/firmware_tools.md).

    posterm fw trace show FILE [--json]          an APDU trace (from `sale --apdu-trace`) decoded tag by tag
    posterm fw card info [--reader SPEC] [--json] what the card in the reader holds (read-only; PAN masked)
    posterm fw readers [--watch] [--json]        readers, attributes, part 10 features, insert/remove events
    posterm fw msr --device DEV [--test-read]    a serial MSR605's model, firmware, status; one test read
    posterm fw capk list [--json]                the CA public keys [emv] trusts: checksum, expiry, source
Everything heavy (pyscard, pyserial, the kernel's tables) is imported inside the handlers.
"""
from __future__ import annotations

import argparse

from terminal.cli.common import EXIT_OK, UsageError, add_common, emit


def register(sub: argparse._SubParsersAction) -> None:
    fw = sub.add_parser("fw", help="firmware tools: readers, card info, APDU traces")
    groups = fw.add_subparsers(dest="fw_group", required=True)

    trace = groups.add_parser("trace", help="APDU traces").add_subparsers(dest="fw_trace", required=True)
    show = trace.add_parser("show", help="print a trace decoded tag by tag")
    show.add_argument("file", metavar="FILE", help="a trace written by sale --apdu-trace")
    add_common(show)
    show.set_defaults(run=run_trace_show)

    card = groups.add_parser("card", help="EMV cards").add_subparsers(dest="fw_card", required=True)
    info = card.add_parser("info", help="applications, FCI, AIP/AFL, records, CA key, ODA, counters (read-only)")
    info.add_argument("--reader", default="pcsc", metavar="SPEC",
                      help="pcsc, pcsc:NAME, emulated:PROFILE or replay:TRACE (default pcsc)")
    info.add_argument("--card-timeout", type=float, default=10.0, metavar="SECONDS",
                      help="how long to wait for a card (default 10)")
    add_common(info)
    info.set_defaults(run=run_card_info)

    readers = groups.add_parser("readers", help="PC/SC readers: attributes, part 10 features, firmware; --watch")
    readers.add_argument("--watch", action="store_true", help="print card insert / remove events until Ctrl-C")
    readers.add_argument("--events", type=int, metavar="N", help="with --watch: stop after N card events")
    add_common(readers)
    readers.set_defaults(run=run_readers)

    msr = groups.add_parser("msr", help="a serial MSR605-style reader: model, firmware, self-test, test read")
    msr.add_argument("device", metavar="DEVICE", help="the serial port, e.g. /dev/ttyUSB0")
    msr.add_argument("--baud", type=int, default=9600, help="baud rate (default 9600)")
    msr.add_argument("--test-read", type=float, metavar="SECONDS", help="also wait this long for one swipe")
    add_common(msr)
    msr.set_defaults(run=run_msr)

    capk = groups.add_parser("capk", help="CA public keys").add_subparsers(dest="fw_capk", required=True)
    listing = capk.add_parser("list", help="the CA keys [emv] ca_keys / extra_ca_keys name: checksum, expiry, source")
    add_common(listing)
    listing.set_defaults(run=run_capk_list)

    bundle = groups.add_parser("bundle", help="signed parameter bundles").add_subparsers(dest="fw_bundle",
                                                                                        required=True)
    b = bundle.add_parser("keygen", help="a new Ed25519 signing key: PREFIX.key (0600) and PREFIX.pub")
    b.add_argument("prefix", metavar="PREFIX", help="path without suffix, e.g. keys/tms")
    add_common(b)
    b.set_defaults(run=run_bundle, action="keygen")
    b = bundle.add_parser("build", help="sign PARAMS.toml into a bundle")
    b.add_argument("params", metavar="PARAMS.toml", help="the parameters, as TOML tables")
    b.add_argument("--sign-key", required=True, metavar="KEY", help="the PEM private key from keygen")
    b.add_argument("--version", dest="bundle_version", type=int, required=True, metavar="N",
                   help="bundle version; a terminal takes only a version above its installed one")
    b.add_argument("--for-terminal", default="*", metavar="ID", help="the terminal id it is for (default any)")
    b.add_argument("--expires", metavar="YYYY-MM-DD", help="last day a terminal may install it")
    b.add_argument("-o", "--output", required=True, metavar="BUNDLE", help="where to write the bundle")
    add_common(b)
    b.set_defaults(run=run_bundle, action="build")
    for name, help_ in (("verify", "check a bundle's signature"), ("show", "print a verified bundle's contents"),
                        ("apply", "verify and install a bundle, all or nothing")):
        b = bundle.add_parser(name, help=help_)
        b.add_argument("bundle", metavar="BUNDLE", help="the bundle file")
        b.add_argument("--trust", metavar="PUB",
                       help="the trusted public key (hex, or its file); default [provisioning] trust_key")
        add_common(b)
        b.set_defaults(run=run_bundle, action=name)
    b = bundle.add_parser("rollback", help="make the previous installed bundle current again")
    add_common(b)
    b.set_defaults(run=run_bundle, action="rollback")


def run_trace_show(args: argparse.Namespace) -> int:
    from firmware_tools.trace import TraceError, read_trace
    from firmware_tools.trace_show import show_dict, show_lines
    try:
        trace = read_trace(args.file)
    except TraceError as e:
        raise UsageError(str(e)) from None
    emit(args, show_dict(trace), show_lines(trace))
    return EXIT_OK


def run_card_info(args: argparse.Namespace) -> int:
    from firmware_tools.card_info import card_info, info_lines
    from terminal.cli.reader_spec import open_chip_channel, parse_reader
    channel = open_chip_channel(parse_reader(args.reader), args.card_timeout)
    try:
        info = card_info(channel)
    finally:
        channel.close()
    emit(args, info, info_lines(info))
    return EXIT_OK


def run_readers(args: argparse.Namespace) -> int:
    from firmware_tools import readers
    if args.watch:
        import json
        import sys

        def show(obj: dict, lines: list[str]) -> None:
            print(json.dumps(obj, sort_keys=True) if getattr(args, "json", False) else "\n".join(lines), flush=True)
        try:
            return readers.watch(show, events=args.events)
        except KeyboardInterrupt:
            sys.stdout.flush()
            return EXIT_OK
    entries = readers.reader_inventory()
    emit(args, {"readers": entries}, readers.inventory_lines(entries))
    return EXIT_OK


def run_msr(args: argparse.Namespace) -> int:
    from firmware_tools.msr_diag import msr_lines, query, test_read
    info = {"device": args.device, "status": query(args.device, args.baud)}
    if args.test_read:
        info["test_read"] = test_read(args.device, args.test_read, args.baud)
    emit(args, info, msr_lines(info))
    return EXIT_OK


def run_capk_list(args: argparse.Namespace) -> int:
    """Exit 0 when every key file reads and every checksum matches, else 1 (a sale would refuse that file)."""
    from firmware_tools.capk_list import capk_lines, capk_report, report_ok
    from terminal.cli.common import load_config
    from terminal.txn.clock import SystemClock
    from terminal.txn.emv_params import ca_key_set
    cfg = load_config(args)
    extra = getattr(getattr(cfg, "emv", None), "extra_ca_keys", "")
    report = capk_report(ca_key_set(cfg), extra, SystemClock().now().local.date(), getattr(cfg, "bundle", None))
    emit(args, report, capk_lines(report))
    return EXIT_OK if report_ok(report) else 1


def _trust(args: argparse.Namespace, cfg) -> str:
    trust = args.trust or cfg.provisioning.trust_key
    if not trust:
        raise UsageError("bundle: no trusted key: give --trust PUB or set [provisioning] trust_key")
    return trust


def _batch_open(args: argparse.Namespace) -> bool:
    """True when the open batch holds transactions: a change of its identity must wait for settlement. Takes
    the data dir's lock for the rest of the process (no sale runs while parameters change) and closes the
    journal again (a new terminal id starts a new journal file)."""
    from terminal.cli.common import open_journal
    journal = open_journal(args, transacting=True)
    try:
        return bool(journal.batch_txns(journal.current_batch()))
    finally:
        journal.close()


def run_bundle(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from firmware_tools import bundle as bd
    from terminal.cli.common import journal_path, load_base_config, load_config
    try:
        if args.action == "keygen":
            private, public = bd.keygen(Path(args.prefix))
            emit(args, {"private": str(private), "public": str(public)}, [f"wrote {private} (0600) and {public}"])
        elif args.action == "build":
            blob = bd.build(Path(args.params), Path(args.sign_key), args.bundle_version,
                            terminal_id=args.for_terminal, expires=args.expires)
            Path(args.output).write_bytes(blob)
            emit(args, {"written": args.output, "version": args.bundle_version},
                 [f"wrote {args.output}: version {args.bundle_version}"])
        elif args.action in ("verify", "show"):
            payload = bd.verify(Path(args.bundle).read_bytes(), _trust(args, load_config(args)))
            payload["params"] = bd.shown(payload["params"])
            lines = [f"signature ok: version {payload['version']}, terminal {payload['terminal_id']}, "
                     f"expires {payload['expires'] or 'never'}"]
            if args.action == "show":
                lines += json.dumps(payload["params"], indent=2, sort_keys=True).splitlines()
            emit(args, payload, lines)
        elif args.action == "apply":
            cfg = load_config(args)
            busy = _batch_open(args)          # holds the data dir's lock: no sale runs while parameters change
            done = bd.Installed(journal_path(args)).apply(Path(args.bundle).read_bytes(), _trust(args, cfg),
                                                          load_base_config(args), batch_open=busy)
            if done["pending"]:
                line = (f"bundle version {done['version']} installed, waiting for settlement: it changes "
                        f"{'; '.join(done['changes'])} and the open batch holds transactions")
            else:
                line = f"installed bundle version {done['version']}"
            emit(args, {"installed": done["version"], "pending": done["pending"], "changes": done["changes"]},
                 [line])
        else:
            version = bd.Installed(journal_path(args)).rollback(load_base_config(args), batch_open=_batch_open(args))
            emit(args, {"current": version}, [f"bundle version {version} is current again"])
    except (bd.BundleError, OSError) as e:
        raise UsageError(f"bundle: {e}") from None
    return EXIT_OK
