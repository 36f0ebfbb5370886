"""The guided drills: the operator mistakes behind "the card was swiped, the terminal said something, and the
money never arrived", each played on the real terminal code against the training host, then explained.

A drill is data: the card, what the training host does, and what the trainee is asked to do. After the sale,
`review` reads what really happened (the keys the keypad took, the outcome, the messages the host received)
and says what the terminal did and why, in the operator's language, and whether the trainee did what the
drill asked. Nothing here decides anything about the sale: the sale is the core's.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from terminal.i18n.text import N_, _


@dataclass(frozen=True)
class Drill:
    name: str
    title: str                      # N_: one line
    task: str                       # N_: what the trainee is asked to do
    reader: str                     # the emulated card
    rules: tuple[str, ...] = ()     # what the training host does (terminal/hostsim/rules.py)
    pull_card: bool = False         # the customer pulls the card while the host works
    host_timeout_s: float | None = None
    script: str = ""                # keys that do the drill as asked (`--keys` for a demonstration or a test)


@dataclass(frozen=True)
class Attempt:
    """What happened in one drill, as read back from the keypad, the sale and the training host."""
    outcome: str
    message: str
    keys: tuple[str, ...]           # the keypad's audit inputs (PIN digits are '*')
    refused: tuple[str, ...]        # keys the keypad refused ('CLEAR' with nothing to clear)
    cancel_while_processing: bool   # CANCEL pressed while the host had the request
    host: tuple[str, ...]           # 0200, 0400/17 ...


@dataclass(frozen=True)
class Review:
    as_asked: bool
    did: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)


DRILLS: dict[str, Drill] = {d.name: d for d in (
    Drill("mistaken-cancel", N_("A mistaken CANCEL while the host works"),
          N_("Key in 12.34 and press ENTER twice. While the screen says PROCESSING, press CANCEL by mistake, "
             "then take it back with any key but ENTER."),
          "emulated-swipe:magstripe", rules=("mti=0200:delay=2.5",), host_timeout_s=10,
          script="1,2,3,4,ENTER,ENTER,WAIT:0.8,CANCEL,5"),
    Drill("clear-on-empty", N_("CLEAR with nothing typed"),
          N_("Before typing any digit, press CLEAR. Then key in 5.00, press ENTER twice and let the sale finish."),
          "emulated-swipe:magstripe", script="CLEAR,5,0,0,ENTER,ENTER"),
    Drill("card-pulled", N_("The card pulled out while the host approves"),
          N_("Key in 12.34 and press ENTER twice. The customer pulls the card out while the host is approving: "
             "watch what the terminal does."),
          "emulated:visa", pull_card=True, script="1,2,3,4,ENTER,ENTER"),
    Drill("network-drop", N_("The network drops in the middle of a sale"),
          N_("Key in 8.00 and press ENTER twice. The request leaves, then the network drops before the answer "
             "comes back: watch what the terminal does, and do not tell the customer they have paid."),
          "emulated-swipe:magstripe", rules=("mti=0200:close:times=1",), host_timeout_s=3,
          script="8,0,0,ENTER,ENTER"),
    Drill("chip-swiped", N_("A chip card swiped"),
          N_("Key in 20.00 and press ENTER twice. The customer swipes a chip card: read what the terminal asks."),
          "emulated-swipe:visa", script="2,0,0,0,ENTER,ENTER"),
)}


def review(drill: Drill, a: Attempt) -> Review:
    return _REVIEWS[drill.name](a)


def _sent(a: Attempt) -> str:
    return ", ".join(a.host) if a.host else _("nothing")


def _mistaken_cancel(a: Attempt) -> Review:
    why = [_("CANCEL never cancels on its own: it asks CANCEL SALE? first, because a sale already at the host "
             "can only be undone by a reversal. Any key but ENTER, or 5 s of silence, takes the CANCEL back.")]
    if a.outcome == "approved" and a.cancel_while_processing:
        return Review(True, [_("You pressed CANCEL while the host was working, then another key: the sale went "
                               "on and was approved. The host received: {sent}.", sent=_sent(a))], why)
    if a.outcome in ("reversed", "reversal_pending") and a.cancel_while_processing:
        return Review(False, [_("You confirmed the CANCEL with ENTER: the terminal reversed the sale (0400, "
                                "reason 17), so the customer is not charged. The host received: {sent}.",
                                sent=_sent(a))],
                      why + [_("ENTER after CANCEL SALE? means yes. The sale has to be made again.")])
    return Review(False, [_("CANCEL was not pressed while the screen said PROCESSING; the sale ended: {message}.",
                            message=_(a.message))], why)


def _clear_on_empty(a: Attempt) -> Review:
    why = [_("CLEAR takes back the last digit typed, nothing more: with nothing typed it does nothing. It never "
             "cancels a sale; CANCEL then ENTER does.")]
    cleared_nothing = "CLEAR" in a.refused
    if cleared_nothing and a.outcome == "approved":
        return Review(True, [_("CLEAR with nothing typed changed nothing: the screen stayed on ENTER AMOUNT, "
                               "and the sale you keyed in then went on and was approved.")], why)
    if not cleared_nothing:
        return Review(False, [_("CLEAR was not pressed with the amount empty; the sale ended: {message}.",
                                message=_(a.message))], why)
    return Review(False, [_("CLEAR with nothing typed changed nothing, but the sale ended: {message}.",
                            message=_(a.message))], why)


def _card_pulled(a: Attempt) -> Review:
    reversed_ = a.outcome in ("reversed", "reversal_pending") and any(m.startswith("0400") for m in a.host)
    did = [_("The host approved, but the card was gone before the chip could confirm the approval. The terminal "
             "reversed the sale: {message}. The host received: {sent}.", message=_(a.message), sent=_sent(a))]
    why = [_("A chip sale is complete only when the card accepts the host's answer. Without the card the terminal "
             "cannot finish it, so it undoes the approval rather than charge the customer for a sale the card did "
             "not complete. Ask for the card again and make a new sale.")]
    return Review(reversed_, did if reversed_ else [_("The sale ended: {message}. The host received: {sent}.",
                                                      message=_(a.message), sent=_sent(a))], why)


def _network_drop(a: Attempt) -> Review:
    reversed_ = a.outcome in ("reversed", "reversal_pending")
    did = [_("The request left, then the connection dropped before any answer came back. The terminal reversed "
             "the sale: {message}. The host received: {sent}.", message=_(a.message), sent=_sent(a))]
    why = [_("Without an answer the terminal cannot know whether the bank approved. It never guesses: it "
             "reverses, so the customer is not charged for a sale nobody saw approved. Make the sale again. A "
             "reversal that cannot be delivered yet is kept and sent when the host is back (posterm saf status).")]
    return Review(reversed_, did, why)


def _chip_swiped(a: Attempt) -> Review:
    refused = a.outcome == "not_sent" and not a.host
    did = [_("The card's stripe says it has a chip: the terminal refused the swipe ({message}) and sent nothing "
             "to the host.", message=_(a.message))]
    why = [_("A chip card must be read by its chip, which a copied stripe cannot imitate. Insert it. A chip card "
             "is swiped only when the terminal asks for it after the chip has failed (fallback).")]
    return Review(refused, did if refused else [_("The sale ended: {message}. The host received: {sent}.",
                                                  message=_(a.message), sent=_sent(a))], why)


_REVIEWS = {"mistaken-cancel": _mistaken_cancel, "clear-on-empty": _clear_on_empty, "card-pulled": _card_pulled,
            "network-drop": _network_drop, "chip-swiped": _chip_swiped}
