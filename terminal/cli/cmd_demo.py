"""`posterm demo [--scenario NAME]`: a whole sale on embedded defaults, and the failure paths.

The built-in host simulator runs on a free loopback port in this process; the journal lives in a fresh
temporary directory unless --data-dir is given. Exit 0 when the scenario ends as it should.
"""
from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from dataclasses import dataclass, field, replace

from terminal.cli.common import emit


@dataclass(frozen=True)
class Scenario:
    about: str
    reader: str = "emulated-swipe:magstripe"
    amount: int = 1234
    rules: tuple[str, ...] = ()
    host_timeout_s: float | None = None
    merchants: frozenset[str] = field(default_factory=frozenset)
    host_up: bool = True
    expect: str = "approved"   # the outcome that means the scenario behaved


SCENARIOS: dict[str, Scenario] = {
    "approved": Scenario("a magstripe sale approved online, with its receipt"),
    "decline": Scenario("the issuer declines: insufficient funds", amount=5100, rules=("amount=5100:code=51",),
                        expect="declined"),
    "timeout-reversal": Scenario("the host answers after the terminal gave up: the sale is reversed",
                                 rules=("mti=0200:delay=2.5",), host_timeout_s=1.0, expect="reversed"),
    "bad-mac": Scenario("the response's MAC is wrong: treated as no response, reversed",
                        rules=("mti=0200:bad_mac",), expect="reversed"),
    "merchant-not-enabled": Scenario("the acquirer has not enabled this merchant",
                                     merchants=frozenset({"OTHERMERCHANT01"}), expect="declined"),
    "expired-card": Scenario("an expired card is refused before anything is sent",
                             reader="emulated-swipe:expired", expect="not_sent"),
    "chip-card-swiped": Scenario("a chip card is swiped: the terminal asks for the chip",
                                 reader="emulated-swipe:visa", expect="not_sent"),
    "host-down": Scenario("no host: nothing is sent, the customer is not charged", host_up=False,
                          expect="not_sent"),
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="a whole sale on embedded defaults (emulated card, built-in host)")
    p.add_argument("--scenario", default="approved", choices=sorted(SCENARIOS))
    p.add_argument("--list", action="store_true", help="list scenarios and built-in card profiles")
    p.add_argument("--data-dir", metavar="DIR", help="keep the journal here (default: a fresh temporary dir)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.list:
        from drivers.emulated.msr_tracks import TEST_CARDS
        print("scenarios:")
        for name, s in SCENARIOS.items():
            print(f"  {name:22} {s.about}")
        print("card profiles (emulated-swipe:NAME):", ", ".join(sorted(TEST_CARDS)))
        return 0
    scenario = SCENARIOS[args.scenario]
    with tempfile.TemporaryDirectory(prefix="posterm-demo-") as tmp:
        return _run(args, scenario, args.data_dir or tmp)


def _run(args: argparse.Namespace, sc: Scenario, data_dir: str) -> int:
    from terminal.config import Config
    from terminal.hostsim.logic import HostPolicy
    from terminal.hostsim.rules import parse_rule
    from terminal.hostsim.server import start
    from terminal.link.client import Endpoint, HostLink
    from terminal.receipt import format_amount, receipt
    from terminal.store import Journal
    from terminal.txn.engine import Engine
    from terminal.txn.swipe import SwipeRefused, card_from_swipe, swipe_sale
    from terminal.cli.reader_spec import parse_reader, read_tracks
    from terminal.store.fallbacks import JournalFallbackStore

    cfg = Config()
    server = None
    if sc.host_up:
        server, _ = start(cfg.keys.mac_key, rules=[parse_rule(r) for r in sc.rules],
                          policy=HostPolicy(merchants=set(sc.merchants)))
        address = f"127.0.0.1:{server.port}"
    else:
        address = "127.0.0.1:9"  # discard port: nothing listens
    cfg = replace(cfg, host=replace(cfg.host, address=address, timeout_s=sc.host_timeout_s or cfg.host.timeout_s,
                                    connect_timeout_s=2.0))
    out: list[str] = [f"posterm demo: {args.scenario} - {SCENARIOS[args.scenario].about}",
                      f"(host simulator at {address}{'' if sc.host_up else ', not running'};"
                      f" journal in {data_dir})", ""]
    screen = lambda *lines: out.extend(["  | " + l for l in lines] + [""])  # noqa: E731
    screen("ENTER AMOUNT", format_amount(sc.amount, cfg.terminal.currency))
    screen("SWIPE, INSERT OR TAP CARD", format_amount(sc.amount, cfg.terminal.currency))
    journal = Journal(f"{data_dir}/journal.sqlite3")
    link = HostLink(Endpoint.parse(address, connect_timeout_s=2.0))
    try:
        try:
            card = card_from_swipe(read_tracks(parse_reader(sc.reader)), JournalFallbackStore(journal),
                                   dt.date.today())
        except SwipeRefused as e:
            screen(e.operator_line)
            out.append(f"nothing was sent to the host ({e.reason})")
            outcome, result_json = "not_sent", {"outcome": "not_sent", "message": e.operator_line}
        else:
            screen("PROCESSING", "do not remove card")
            result = swipe_sale(Engine(cfg, journal, link), "purchase", sc.amount, card)
            screen(result.message)
            if result.outcome == "approved":
                out += receipt(cfg, result, dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"))
            from terminal.txn.explain import explain
            out.append(f"journal: transaction {result.id}: {explain(journal.txn(result.id), journal)}")
            outcome, result_json = result.outcome, result.to_json()
    finally:
        link.close()
        journal.close()
        if server is not None:
            server.shutdown()
            server.server_close()
    ok = outcome == sc.expect
    out.append(f"scenario {'ended as expected' if ok else 'DID NOT end as expected'}: {outcome}"
               + ("" if ok else f" (expected {sc.expect})"))
    emit(args, result_json | {"scenario": args.scenario, "as_expected": ok}, out)
    return 0 if ok else 3
