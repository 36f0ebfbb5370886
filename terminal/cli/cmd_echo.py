"""`posterm echo`: one network management echo (0800, field 70 = 301) through the one exchange path
(terminal/txn/exchange.py), with its round-trip time and the host's clock (0810 field 7) against ours.

0800/0810 carry no MAC in our dialect (../shared/host-interface.md: every message but 0800/0810 is MACed);
the answer is still checked by exchange(): our dialect, the MTI 0810 and our STAN.
"""
from __future__ import annotations

import argparse
import datetime as dt
import time

from terminal.cli.common import EXIT_DEVICE, EXIT_OK, add_common, emit, load_config, open_journal, open_link

SKEW_WARN_S = 60


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("echo", help="a network management echo (0800/301) with the host: round trip and clock")
    add_common(p)
    p.set_defaults(run=run)


def _host_time(field7: str, now: dt.datetime) -> dt.datetime | None:
    """Field 7 is MMDDhhmmss UTC with no year: the year that puts it nearest to now."""
    try:
        month, day, hh, mm, ss = (int(field7[i:i + 2]) for i in range(0, 10, 2))
        candidates = [dt.datetime(now.year + d, month, day, hh, mm, ss, tzinfo=dt.timezone.utc) for d in (-1, 0, 1)]
    except (ValueError, TypeError):
        return None
    return min(candidates, key=lambda c: abs((c - now).total_seconds()))


def echo(cfg, journal) -> dict:
    """The echo as a check: {status ok|warn|fail, message, rtt_ms, skew_s, response_code}."""
    from terminal.txn.exchange import Answered, NoAnswer, exchange
    from terminal.txn.link_watch import echo_request
    request = echo_request(cfg, journal.next_stan(), dt.datetime.now(dt.timezone.utc))
    link = open_link(cfg)
    start = time.perf_counter()
    try:
        reply = exchange(link, request, cfg.keys.mac_key, cfg.host.timeout_s)
    finally:
        link.close()
    rtt_ms = round((time.perf_counter() - start) * 1000, 3)
    host = link.address  # the address that carried the echo (a backup, when the primary was down)
    out = {"host": host, "stan": int(request.stan), "rtt_ms": None, "skew_s": None, "response_code": None}
    if not isinstance(reply, Answered):
        kind = "no answer" if isinstance(reply, NoAnswer) else "not sent"
        return out | {"status": "fail", "message": f"host {host}: {kind} ({reply.why})"}
    code = str(reply.message.fields.get(39, ""))
    out |= {"rtt_ms": rtt_ms, "response_code": code}
    if code != "00":
        return out | {"status": "fail", "message": f"host answered the echo with {code}"}
    host_clock = _host_time(str(reply.message.fields.get(7, "")), dt.datetime.now(dt.timezone.utc))
    if host_clock is None:
        return out | {"status": "warn", "message": f"echo answered in {rtt_ms:.1f} ms; the 0810 has no field 7: "
                                                   "clock not compared"}
    skew = round((dt.datetime.now(dt.timezone.utc) - host_clock).total_seconds())
    out["skew_s"] = skew
    if abs(skew) > SKEW_WARN_S:
        return out | {"status": "warn", "message": f"echo answered in {rtt_ms:.1f} ms; clock {skew:+d} s from "
                                                   f"the host's (over {SKEW_WARN_S} s)"}
    return out | {"status": "ok", "message": f"echo answered in {rtt_ms:.1f} ms; clock {skew:+d} s from the host's"}


def run(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    journal = open_journal(args)
    try:
        result = echo(cfg, journal)
    finally:
        journal.close()
    emit(args, result, [f"{result['status'].upper()}: {result['message']}"])
    return EXIT_OK if result["status"] != "fail" else EXIT_DEVICE
