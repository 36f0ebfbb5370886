"""`posterm health [--json]`: every check of the terminal, each ok / warn / fail; exit 0 when none failed, 1 else.

Checks (firmware_tools/health.py, and the echo of cmd_echo.py): pcscd and its readers, the serial reader when
one is configured, the host by an echo (round trip) and the clock against the host's field 7 (warn over 60 s),
free disk against the journal's reserve, the store-and-forward backlog and its oldest entry, the open batch's
age, key check values, journal integrity, the configuration and parameter bundle version.
"""
from __future__ import annotations

import argparse
import datetime as dt

from terminal.cli.common import add_common, emit, journal_path, load_config, open_journal


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("health", help="every health check (reader, host, clock, disk, SAF, keys, journal)")
    add_common(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from firmware_tools import health as h
    from terminal.cli.cmd_echo import echo
    cfg = load_config(args)
    spec = getattr(cfg.reader, "spec", "") if hasattr(cfg, "reader") else ""
    directory = journal_path(args)
    checks = [h.pcsc(spec or "")]
    serial = h.serial_reader(spec or "")
    if serial:
        checks.append(serial)
    journal = open_journal(args)
    try:
        now = dt.datetime.now(dt.timezone.utc)
        try:
            result = echo(cfg, journal)
            checks.append(h.check("host", result["status"] if result["status"] == "fail" else "ok",
                                  result["message"] if result["status"] == "fail" else
                                  f"echo answered in {result['rtt_ms']:.1f} ms", rtt_ms=result["rtt_ms"]))
            if result["status"] != "fail":
                checks.append(h.check("clock", "warn" if result["skew_s"] is None or abs(result["skew_s"]) > 60
                                      else "ok", result["message"], skew_s=result["skew_s"]))
        except Exception as e:   # the report goes on: the host check says what went wrong
            checks.append(h.check("host", "fail", f"echo: {e}"))
        checks += [h.disk(directory), h.saf_backlog(journal, now), h.open_batch(journal, now)]
    finally:
        journal.close()
    checks += [h.key_check_values(cfg), h.journal_integrity(directory / "journal.sqlite3"), h.configuration(cfg, directory)]
    failed = any(c["status"] == "fail" for c in checks)
    overall = "fail" if failed else "warn" if any(c["status"] == "warn" for c in checks) else "ok"
    emit(args, {"status": overall, "checks": checks},
         [f"{c['status'].upper():4}  {c['name']:13} {c['message']}" for c in checks] + [f"overall: {overall}"])
    return 1 if failed else 0
