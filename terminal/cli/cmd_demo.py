"""`posterm demo [--scenario NAME]`: a whole sale on embedded defaults, and the failure paths.

The built-in host simulator runs on a free loopback port in this process; the journal lives in a fresh
temporary directory unless --data-dir is given; the operator's keys come from a script. Exit 0 when the
scenario ends as it should.
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
    reader: str = "emulated:visa"
    keys: str = "1,2,3,4,ENTER,ENTER"          # the operator keys 12.34 and confirms it
    rules: tuple[str, ...] = ()
    host_timeout_s: float | None = None
    merchants: frozenset[str] = field(default_factory=frozenset)
    host_up: bool = True
    floor_limit: int = 0
    pull_card_when_online: bool = False
    end_of_day: bool = False   # after the sale: a second sale, its void, then settlement
    expect: str = "approved"   # the outcome that means the scenario behaved


SCENARIOS: dict[str, Scenario] = {
    "approved": Scenario("a chip sale (Visa-like test card, offline PIN) approved online, with its receipt"),
    "contactless": Scenario("a contactless tap approved online", reader="emulated:contactless"),
    "magstripe": Scenario("a magstripe-only card swiped and approved online", reader="emulated-swipe:magstripe"),
    "cancel-guard": Scenario("CANCEL pressed by mistake, then another key: the amount is kept, the sale goes on",
                             keys="1,2,3,4,CANCEL,5,ENTER,ENTER"),
    "decline": Scenario("the issuer declines: insufficient funds", keys="5,1,0,0,ENTER,ENTER",
                        rules=("amount=5100:code=51",), expect="declined"),
    "timeout-reversal": Scenario("the host answers after the terminal gave up: the sale is reversed",
                                 rules=("mti=0200:delay=2.5",), host_timeout_s=1.0, expect="reversed"),
    "bad-mac": Scenario("the response's MAC is wrong: treated as no response, reversed",
                        rules=("mti=0200:bad_mac",), expect="reversed"),
    "card-pulled": Scenario("the card is pulled while the host approves: the approval is reversed",
                            pull_card_when_online=True, expect="reversed"),
    "merchant-not-enabled": Scenario("the acquirer has not enabled this merchant",
                                     merchants=frozenset({"OTHERMERCHANT01"}), expect="declined"),
    "expired-card": Scenario("an expired chip card: the card itself declines, nothing is sent",
                             reader="emulated:expired", expect="declined"),
    "chip-card-swiped": Scenario("a chip card is swiped: the terminal asks for the chip",
                                 reader="emulated-swipe:visa", expect="not_sent"),
    "offline": Scenario("no host, amount under the floor limit: the chip approves offline, advice queued",
                        host_up=False, floor_limit=5000, expect="offline_approved"),
    "end-of-day": Scenario("a chip sale, a swiped sale voided by the merchant, then settlement closes the batch",
                           end_of_day=True, expect="closed"),
    "host-down": Scenario("no host, a swipe: nothing is sent, the customer is not charged",
                          reader="emulated-swipe:magstripe", host_up=False, expect="not_sent"),
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
        from drivers.emulated.vcard import profile_names
        print("scenarios:")
        for name, s in SCENARIOS.items():
            print(f"  {name:22} {s.about}")
        print("chip card profiles (emulated:NAME):", ", ".join(sorted(profile_names())))
        print("magstripe cards (emulated-swipe:NAME):", ", ".join(sorted(TEST_CARDS)))
        return 0
    with tempfile.TemporaryDirectory(prefix="posterm-demo-") as tmp:
        return _run(args, SCENARIOS[args.scenario], args.data_dir or tmp)


def _end_of_day(cfg, driver, out: list[str]) -> tuple[str, dict]:
    """A second sale, swiped, then voided by the merchant; then the batch is settled with the host."""
    from terminal.cli.reader_spec import parse_reader
    from terminal.cli.sale_session import card_source
    from terminal.i18n.money import format_amount
    from terminal.txn.cards import KnownCard
    from terminal.txn.explain import explain
    from terminal.txn.records import CardInput
    from terminal.txn.settle import settle
    from terminal.txn.engine import Engine

    journal = driver.journal
    second = driver.sale("purchase", 500, card_source(parse_reader("emulated-swipe:magstripe")))
    out.append(f"second sale, swiped: {second.message} (transaction {second.id})")
    original = journal.txn(second.id)
    void = driver.sale("void", original.amount, KnownCard(CardInput(original.entry_mode, original.masked_pan)),
                       original=original)
    out.append(f"merchant voids transaction {second.id}: {void.message} (transaction {void.id})")
    r = settle(Engine(cfg, journal, driver.link))
    cur = cfg.terminal.currency
    out += ["", f"settlement: {r.message}",
            f"  sales   {r.debits[0]:4d}  {format_amount(r.debits[1], cur):>16}",
            f"  refunds {r.credits[0]:4d}  {format_amount(r.credits[1], cur):>16}", ""]
    for t in reversed(journal.txns()):
        out.append(f"  transaction {t.id}: {explain(t, journal)}")
    return r.outcome, {"batch": r.batch, "outcome": r.outcome, "debits": r.debits, "credits": r.credits}


def _run(args: argparse.Namespace, sc: Scenario, data_dir: str) -> int:
    from terminal.cli.reader_spec import parse_reader
    from terminal.cli.sale_session import card_source, emulated_pinpad, keyed_amount, scripted_operator
    from terminal.config import Config
    from terminal.hostsim.logic import HostPolicy
    from terminal.hostsim.rules import parse_rule
    from terminal.hostsim.server import start
    from terminal.keypad.screen import Screen, render_lines
    from terminal.link.client import Endpoint, HostLink
    from terminal.receipt import receipt
    from terminal.store import Journal
    from terminal.txn.explain import explain
    from terminal.txn.loop import Driver

    cfg = Config()
    server = None
    if sc.host_up:
        server, _ = start(cfg.keys.mac_key, rules=[parse_rule(r) for r in sc.rules],
                          policy=HostPolicy(merchants=set(sc.merchants)))
        address = f"127.0.0.1:{server.port}"
    else:
        address = "127.0.0.1:9"  # discard port: nothing listens
    cfg = replace(cfg, host=replace(cfg.host, address=address, timeout_s=sc.host_timeout_s or cfg.host.timeout_s,
                                    connect_timeout_s=2.0),
                  limits=replace(cfg.limits, floor_limit=sc.floor_limit))
    out: list[str] = [f"posterm demo: {args.scenario} - {sc.about}",
                      f"(card {sc.reader}; host simulator at {address}{'' if sc.host_up else ', not running'};"
                      f" journal in {data_dir})", ""]
    shown: list[Screen] = []

    def show(s: Screen) -> None:
        """The operator's screen, each time it changes."""
        if not shown or shown[-1] != s:
            out.extend(["  " + line for line in render_lines(s)])
            shown.append(s)

    out.append(f"operator keys: {sc.keys}")
    operator = scripted_operator(sc.keys, cfg, show=show)
    amount = keyed_amount(operator)
    journal = Journal(f"{data_dir}/journal.sqlite3")
    link = HostLink(Endpoint.parse(address, connect_timeout_s=2.0))
    spec = parse_reader(sc.reader)
    result_json: dict = {}
    driver = Driver(cfg, journal, link)
    try:
        driver.recover()
        if amount is None:
            outcome = "cancelled"
        else:
            card = card_source(spec)
            pull = (lambda: card.channel.remove()) if sc.pull_card_when_online else None
            result = driver.sale("purchase", amount, card, operator=operator,
                                 pinpad=emulated_pinpad(cfg, spec, None), on_request_sent=pull)
            emv = driver.last_core.outcome
            if spec.kind == "emulated" and emv is not None:
                out.append(f"chip: {emv.application_label or emv.application or '-'}, cardholder verification "
                           f"{emv.cvm or '-'}, TVR {emv.tvr.hex().upper()}, {emv.apdu_count} APDUs, "
                           f"cryptogram {emv.cryptogram or '-'}")
                if sc.pull_card_when_online:
                    out.append("(the card was pulled while the request was at the host)")
                out.append("")
            if result.id is None and result.reason:
                out.append(f"nothing was sent to the host ({result.reason})")
            if result.outcome in ("approved", "offline_approved"):
                out += receipt(cfg, result, dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"))
            if result.id is not None:
                out.append(f"journal: transaction {result.id}: {explain(journal.txn(result.id), journal)}")
                pending = journal.saf_pending()
                if pending:
                    out.append(f"store-and-forward: {len(pending)} message(s) waiting for the host "
                               f"({', '.join(e.kind for e in pending)})")
            outcome, result_json = result.outcome, result.to_json()
            if sc.end_of_day and result.outcome == "approved":
                outcome, day = _end_of_day(cfg, driver, out)
                result_json |= {"settlement": day}
    finally:
        operator.keys.close()
        link.close()
        journal.close()
        if server is not None:
            server.shutdown()
            server.server_close()
    ok = outcome == sc.expect
    out.append(f"scenario {'ended as expected' if ok else 'DID NOT end as expected'}: {outcome}"
               + ("" if ok else f" (expected {sc.expect})"))
    emit(args, result_json | {"scenario": args.scenario, "as_expected": ok, "outcome": outcome}, out)
    return 0 if ok else 3
