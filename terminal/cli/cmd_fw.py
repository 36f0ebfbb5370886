"""`posterm fw ...`: firmware_tools behind one command group (docs/firmware_tools.md).

    posterm fw trace show FILE [--json]          an APDU trace (from `sale --apdu-trace`) decoded tag by tag
    posterm fw card info [--reader SPEC] [--json] what the card in the reader holds (read-only; PAN masked)
    posterm fw readers [--watch] [--json]        readers, attributes, part 10 features, insert/remove events
    posterm fw msr --device DEV [--test-read]    a serial MSR605's model, firmware, status; one test read
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
    show.add_argument("file", metavar="FILE")
    add_common(show)
    show.set_defaults(run=run_trace_show)


def run_trace_show(args: argparse.Namespace) -> int:
    from firmware_tools.trace import TraceError, read_trace
    from firmware_tools.trace_show import show_dict, show_lines
    try:
        trace = read_trace(args.file)
    except TraceError as e:
        raise UsageError(str(e)) from None
    emit(args, show_dict(trace), show_lines(trace))
    return EXIT_OK
