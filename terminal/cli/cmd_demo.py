"""`posterm demo [--scenario NAME]`: a whole sale on embedded defaults, and the failure paths.

The built-in host simulator runs on a free loopback port in this process; the journal lives in a fresh
temporary directory unless --data-dir is given; the operator's keys come from a script. Exit 0 when the
scenario ends as it should.
"""
from __future__ import annotations

import argparse

from terminal.cli.common import emit
from terminal.cli.options import add_common
from terminal.i18n.text import N_


# The names alone, for the parser (tests/cli/test_cli.py checks they are demo_scenarios.SCENARIOS' keys).
SCENARIO_NAMES = ('approved', 'bad-mac', 'cancel-guard', 'card-pulled', 'chip-card-swiped', 'contactless', 'decline', 'end-of-day', 'expired-card', 'host-down', 'magstripe', 'merchant-not-enabled', 'offline', 'timeout-reversal')


def __getattr__(name: str):
    if name in ("SCENARIOS", "Scenario"):
        from terminal.cli import demo_scenarios
        return getattr(demo_scenarios, name)
    raise AttributeError(name)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="a whole sale on embedded defaults (emulated card, built-in host)")
    p.add_argument("--scenario", default="approved", choices=SCENARIO_NAMES, metavar="NAME",
                   help="which story to play (default approved; --list shows them all)")
    p.add_argument("--list", action="store_true", help="list scenarios and built-in card profiles")
    add_common(p)   # --data-dir: keep the journal there (default: a fresh temporary dir)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import tempfile

    from terminal.cli.demo_scenarios import SCENARIOS
    from terminal.i18n.text import _
    if args.list:
        from drivers.emulated.msr_tracks import TEST_CARDS
        from drivers.emulated.vcard import profile_names
        print("scenarios:")
        for name, s in SCENARIOS.items():
            print(f"  {name:22} {_(s.about)}")
        print("chip card profiles (emulated:NAME):", ", ".join(sorted(profile_names())))
        print("magstripe cards (emulated-swipe:NAME):", ", ".join(sorted(TEST_CARDS)))
        return 0
    with tempfile.TemporaryDirectory(prefix="posterm-demo-") as tmp:
        return _run(args, SCENARIOS[args.scenario], args.data_dir or tmp)


OUTCOME_WORDS = {"approved": N_("approved"), "offline_approved": N_("approved offline"), "declined": N_("declined"),
                 "reversed": N_("reversed"), "not_sent": N_("not sent"), "cancelled": N_("cancelled"),
                 "closed": N_("batch closed")}


def _end_of_day(cfg, driver, out: list[str]) -> tuple[str, dict]:
    """A second sale, swiped, then voided by the merchant; then the batch is settled with the host."""
    from terminal.cli.reader_spec import parse_reader
    from terminal.cli.sale_session import card_source
    from terminal.i18n.text import _
    from terminal.txn.cards import KnownCard
    from terminal.txn.explain import explain
    from terminal.txn.records import CardInput
    from terminal.txn.engine import Engine
    from terminal.txn.settle import settle
    from terminal.receipt.settlement import render, slip_for

    journal = driver.journal
    second = driver.sale("purchase", 500, card_source(parse_reader("emulated-swipe:magstripe")))
    out.append(_("second sale, swiped: {message} (transaction {id})", message=_(second.message), id=second.id))
    original = journal.txn(second.id)
    void = driver.sale("void", original.amount, KnownCard(CardInput(original.entry_mode, original.masked_pan)),
                       original=original)
    out.append(_("merchant voids transaction {original}: {message} (transaction {id})", original=second.id,
                 message=_(void.message), id=void.id))
    engine = Engine(cfg, journal, driver.link)
    r = settle(engine)
    out += ["", _("settlement: {message}", message=_(r.message)), *render(slip_for(r, journal, cfg,
                                                                                  engine.clock.now().local)), ""]
    for t in reversed(journal.txns()):
        out.append("  " + _("transaction {id}: {explanation}", id=t.id, explanation=_(explain(t, journal))))
    return r.outcome, {"batch": r.batch, "outcome": r.outcome, "debits": r.debits, "credits": r.credits}


def _run(args: argparse.Namespace, sc, data_dir: str) -> int:
    from dataclasses import replace
    from terminal.cli.reader_spec import parse_reader
    from terminal.cli.sale_session import card_source, emulated_pinpad, keyed_amount, scripted_operator
    from terminal.config import Config
    from terminal.hostsim.logic import HostPolicy
    from terminal.hostsim.rules import parse_rule
    from terminal.hostsim.server import start
    from terminal.keypad.screen import Screen, render_lines
    from terminal.link.client import Endpoint, HostLink
    from terminal.receipt.output import deliver
    from terminal.store import Journal
    from terminal.i18n.text import _
    from terminal.txn.explain import explain
    from terminal.txn.loop import Driver
    from terminal.txn.saf import KIND_WORDS

    cfg = Config()
    server = None
    if sc.host_up:
        server, _thread = start(cfg.keys.mac_key, rules=[parse_rule(r) for r in sc.rules],
                          policy=HostPolicy(merchants=set(sc.merchants)))
        address = f"127.0.0.1:{server.port}"
    else:
        address = "127.0.0.1:9"  # discard port: nothing listens
    cfg = replace(cfg, host=replace(cfg.host, address=address, timeout_s=sc.host_timeout_s or cfg.host.timeout_s,
                                    connect_timeout_s=2.0),
                  limits=replace(cfg.limits, floor_limit=sc.floor_limit),
                  merchant=replace(cfg.merchant, name=_("POSTERM DEMO STORE")))  # the demo's shop, in the slip's language
    where = (_("(card {reader}; host simulator at {address}; journal in {data})") if sc.host_up else
             _("(card {reader}; host simulator at {address}, not running; journal in {data})"))
    out: list[str] = [_("posterm demo: {scenario} - {about}", scenario=args.scenario, about=_(sc.about)),
                      where.format(reader=sc.reader, address=address, data=data_dir), ""]
    shown: list[Screen] = []

    def show(s: Screen) -> None:
        """The operator's screen, each time it changes."""
        if not shown or shown[-1] != s:
            out.extend(["  " + line for line in render_lines(s)])
            shown.append(s)

    out.append(_("operator keys: {keys}", keys=sc.keys))
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
                out.append(_("chip: {application}, cardholder verification {cvm}, TVR {tvr}, {count} APDUs, "
                             "cryptogram {cryptogram}", application=emv.application_label or emv.application or "-",
                             cvm=emv.cvm or "-", tvr=emv.tvr.hex().upper(), count=emv.apdu_count,
                             cryptogram=emv.cryptogram or "-"))
                if sc.pull_card_when_online:
                    out.append(_("(the card was pulled while the request was at the host)"))
                out.append("")
            if result.id is None and result.reason:
                out.append(_("nothing was sent to the host ({reason})", reason=result.reason))
            if result.outcome in ("approved", "offline_approved"):
                out += deliver(journal, cfg, result.id).lines
            if result.id is not None:
                out.append(_("journal: transaction {id}: {explanation}", id=result.id,
                             explanation=_(explain(journal.txn(result.id), journal))))
                pending = journal.saf_pending()
                if pending:
                    kinds = ", ".join(_(KIND_WORDS.get(e.kind, e.kind)) for e in pending)
                    out.append(_("store-and-forward: {count} message(s) waiting for the host ({kinds})",
                                 count=len(pending), kinds=kinds))
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
    said = {o: OUTCOME_WORDS.get(o, o) for o in (outcome, sc.expect)}
    out.append(_("scenario ended as expected: {outcome}", outcome=said[outcome]) if ok else
               _("scenario DID NOT end as expected: {outcome} (expected {expected})", outcome=said[outcome],
                 expected=said[sc.expect]))
    emit(args, result_json | {"scenario": args.scenario, "as_expected": ok, "outcome": outcome}, out)
    return 0 if ok else 3
