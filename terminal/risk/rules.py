"""The risk rules, each a pure function of the sale, the policy and what the journal holds about recent sales
of the same card (by keyed hash). `assess` runs them in a fixed order and returns what fired; the sale core
acts on it (decline, ask the operator, ask the supervisor) before anything is written ahead or sent.

Order matters: a listed card is declined before anyone is asked anything; an in-doubt first attempt is
named before a second charge could be offered; then the rules that a person may override.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from terminal.i18n.text import N_
from terminal.risk.policy import RiskPolicy

APPROVED_STATES = frozenset({"approved", "advice_pending", "offline_approved"})
IN_DOUBT_STATES = frozenset({"sending", "reversal_pending"})   # sent, outcome unknown, reversal owed

# what a finding asks of the sale
DECLINE = "decline"          # end now, nothing sent
IN_DOUBT = "in_doubt"        # end now, nothing sent, the first attempt named
CONFIRM = "confirm"          # the operator: ENTER = go on, anything else = stop (the default)
SUPERVISOR = "supervisor"    # the supervisor's PIN on the keypad, else stop


@dataclass(frozen=True)
class Sale:
    kind: str                 # purchase, refund
    amount: int
    card_hash: str
    pan: str = field(default="", repr=False)   # in memory only, to match exception-file prefixes
    now: dt.datetime = dt.datetime.min.replace(tzinfo=dt.timezone.utc)   # UTC


@dataclass(frozen=True)
class Seen:
    """A recent transaction of the same card, as the journal has it (no card data)."""
    stan: int
    kind: str
    amount: int
    state: str
    at: dt.datetime           # UTC, when its row was written
    local_time: str           # ISO 8601, the terminal's local time of the sale (fields 12/13)


@dataclass(frozen=True)
class Facts:
    """All a rule may look at besides the sale: that card's recent transactions and the day's refunds."""
    seen: tuple[Seen, ...] = ()
    refunds_today: int = 0
    floor_limit: int = 0


@dataclass(frozen=True)
class Finding:
    rule: str                 # exception_file, duplicate_charge, velocity, amount_alert, refund_total, split_sale
    action: str               # DECLINE, IN_DOUBT, CONFIRM, SUPERVISOR
    title: str                # the operator's screen: what was found
    value: str
    detail: str               # for the journal and the alert: no card data
    refused_line: str         # the sale's result line if it stops here


def _hhmm(local_time: str) -> str:
    return local_time[11:16]


def exception_file(policy: RiskPolicy, sale: Sale, facts: Facts) -> Finding | None:
    """EMV Book 4 terminal exception file: a listed PAN prefix or card hash is declined, no one may override."""
    by_hash = sale.card_hash in policy.exception_hashes
    prefix = next((p for p in policy.exception_prefixes if sale.pan and sale.pan.startswith(p)), None)
    if not by_hash and prefix is None:
        return None
    how = "its keyed hash" if by_hash else f"PAN prefix {prefix}"
    return Finding("exception_file", DECLINE, N_("CARD ON EXCEPTION FILE"), "",
                   f"card on the terminal exception file ({how}): declined at the terminal, nothing sent",
                   N_("DECLINED: card on exception file"))


def duplicate_charge(policy: RiskPolicy, sale: Sale, facts: Facts) -> Finding | None:
    """The same card and amount approved (or still in doubt) within duplicate_window_s: the customer may be
    about to pay twice."""
    if not policy.duplicate_window_s or sale.kind != "purchase":
        return None
    since = sale.now - dt.timedelta(seconds=policy.duplicate_window_s)
    same = [s for s in facts.seen if s.kind == "purchase" and s.amount == sale.amount and s.at >= since]
    doubt = next((s for s in reversed(same) if s.state in IN_DOUBT_STATES), None)
    if doubt is not None:
        stan = f"{doubt.stan:06d}"
        return Finding("duplicate_charge", IN_DOUBT, N_("FIRST ATTEMPT IN DOUBT"),
                       N_("STAN {stan}, reversal pending", stan=stan),
                       f"same card and amount sent at {_hhmm(doubt.local_time)} as STAN {stan}, outcome unknown"
                       " and its reversal pending: not charged again",
                       N_("NOT SENT: first attempt STAN {stan} in doubt, reversal pending", stan=stan))
    done = next((s for s in reversed(same) if s.state in APPROVED_STATES), None)
    if done is None:
        return None
    stan, at = f"{done.stan:06d}", _hhmm(done.local_time)
    return Finding("duplicate_charge", CONFIRM, N_("SAME CARD, SAME AMOUNT"),
                   N_("APPROVED {time}, STAN {stan}", time=at, stan=stan),
                   f"same card and amount approved at {at} as STAN {stan}",
                   N_("NOT CHARGED AGAIN: same card, same amount already approved"))


def _approved_since(facts: Facts, since: dt.datetime) -> list[Seen]:
    return [s for s in facts.seen if s.kind == "purchase" and s.at >= since
            and (s.state in APPROVED_STATES or s.state in IN_DOUBT_STATES)]


def velocity(policy: RiskPolicy, sale: Sale, facts: Facts) -> Finding | None:
    """At most velocity_count sales of one card in velocity_window_min minutes."""
    if not policy.velocity_count or sale.kind != "purchase":
        return None
    recent = _approved_since(facts, sale.now - dt.timedelta(minutes=policy.velocity_window_min))
    if len(recent) < policy.velocity_count:
        return None
    return Finding("velocity", _action(policy.velocity_action), N_("CARD USED TOO OFTEN"),
                   N_("{n} sales in {m} min", n=len(recent), m=policy.velocity_window_min),
                   f"{len(recent)} sales of this card in the last {policy.velocity_window_min} min"
                   f" (at most {policy.velocity_count})",
                   N_("DECLINED: card used too often"))


def amount_alert(policy: RiskPolicy, sale: Sale, facts: Facts) -> Finding | None:
    """A sale above the terminal's alert level."""
    if not policy.amount_alert or sale.kind != "purchase" or sale.amount <= policy.amount_alert:
        return None
    return Finding("amount_alert", _action(policy.amount_action), N_("AMOUNT ABOVE ALERT LEVEL"), "",
                   f"amount {sale.amount} above the alert level {policy.amount_alert} (minor units)",
                   N_("DECLINED: amount above alert level"))


def refund_total(policy: RiskPolicy, sale: Sale, facts: Facts) -> Finding | None:
    """Refunds of the day (this one included) above refund_daily_limit."""
    if not policy.refund_daily_limit or sale.kind != "refund":
        return None
    total = facts.refunds_today + sale.amount
    if total <= policy.refund_daily_limit:
        return None
    return Finding("refund_total", _action(policy.refund_action), N_("REFUNDS ABOVE DAILY TOTAL"), "",
                   f"refunds today would total {total}, above {policy.refund_daily_limit} (minor units)",
                   N_("DECLINED: refunds above daily total"))


def split_sale(policy: RiskPolicy, sale: Sale, facts: Facts) -> Finding | None:
    """EMV Book 3 10.6.1 split sales: each sale under the floor limit, together above it."""
    floor = policy.split_floor_limit or facts.floor_limit
    if not policy.split_window_min or not floor or sale.kind != "purchase" or sale.amount > floor:
        return None
    since = sale.now - dt.timedelta(minutes=policy.split_window_min)
    recent = [s for s in facts.seen if s.kind == "purchase" and s.state in APPROVED_STATES and s.at >= since]
    total = sum(s.amount for s in recent) + sale.amount
    if not recent or total <= floor:
        return None
    return Finding("split_sale", _action(policy.split_action), N_("POSSIBLE SPLIT SALE"),
                   N_("{n} sales total {total}", n=len(recent) + 1, total=total),
                   f"{len(recent)} approved sales of this card in the last {policy.split_window_min} min and this"
                   f" one total {total}, above the floor limit {floor} (minor units)",
                   N_("DECLINED: possible split sale"))


def _action(configured: str) -> str:
    return SUPERVISOR if configured == "supervisor" else DECLINE


RULES = (exception_file, duplicate_charge, velocity, amount_alert, refund_total, split_sale)


def assess(policy: RiskPolicy, sale: Sale, facts: Facts) -> list[Finding]:
    """What fired, in order. The caller stops at the first one that is not overridden."""
    return [f for f in (rule(policy, sale, facts) for rule in RULES) if f is not None]
