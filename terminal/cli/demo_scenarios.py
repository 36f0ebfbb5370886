"""The stories `posterm demo --scenario NAME` plays: what the card, the keys and the host simulator do, and the
outcome that means the scenario behaved. Kept apart from cmd_demo so `posterm --help` does not build them."""
from __future__ import annotations

from dataclasses import dataclass, field

from terminal.i18n.text import N_


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
    "approved": Scenario(N_("a chip sale (Visa-like test card, offline PIN) approved online, with its receipt")),
    "contactless": Scenario(N_("a contactless tap approved online"), reader="emulated:contactless"),
    "magstripe": Scenario(N_("a magstripe-only card swiped and approved online"), reader="emulated-swipe:magstripe"),
    "cancel-guard": Scenario(N_("CANCEL pressed by mistake, then another key: the amount is kept, the sale goes on"),
                             keys="1,2,3,4,CANCEL,5,ENTER,ENTER"),
    "decline": Scenario(N_("the issuer declines: insufficient funds"), keys="5,1,0,0,ENTER,ENTER",
                        rules=("amount=5100:code=51",), expect="declined"),
    "timeout-reversal": Scenario(N_("the host answers after the terminal gave up: the sale is reversed"),
                                 rules=("mti=0200:delay=2.5",), host_timeout_s=1.0, expect="reversed"),
    "bad-mac": Scenario(N_("the response's MAC is wrong: treated as no response, reversed"),
                        rules=("mti=0200:bad_mac",), expect="reversed"),
    "card-pulled": Scenario(N_("the card is pulled while the host approves: the approval is reversed"),
                            pull_card_when_online=True, expect="reversed"),
    "merchant-not-enabled": Scenario(N_("the acquirer has not enabled this merchant"),
                                     merchants=frozenset({"OTHERMERCHANT01"}), expect="declined"),
    "expired-card": Scenario(N_("an expired chip card: the card itself declines, nothing is sent"),
                             reader="emulated:expired", expect="declined"),
    "chip-card-swiped": Scenario(N_("a chip card is swiped: the terminal asks for the chip"),
                                 reader="emulated-swipe:visa", expect="not_sent"),
    "offline": Scenario(N_("no host, amount under the floor limit: the chip approves offline, advice queued"),
                        host_up=False, floor_limit=5000, expect="offline_approved"),
    "end-of-day": Scenario(N_("a chip sale, a swiped sale voided by the merchant, then settlement closes the batch"),
                           end_of_day=True, expect="closed"),
    "host-down": Scenario(N_("no host, a swipe: nothing is sent, the customer is not charged"),
                          reader="emulated-swipe:magstripe", host_up=False, expect="not_sent"),
}
