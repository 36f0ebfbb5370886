"""What `posterm sale`, `posterm run` and `posterm demo` share: the driver, the card source, the PIN pad and
the operator's keypad, built from the command's options; and the printed result. No business rules here:
the sale itself is the core's (terminal/txn/core.py), run by the driver loop (terminal/txn/loop.py)."""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from terminal.cli.common import UsageError, emit
from terminal.cli.reader_spec import ReaderSpec, emulated_pin, open_chip_channel, read_tracks
from terminal.config import Config


def card_source(spec: ReaderSpec, timeout_s: float = 30.0):
    from terminal.txn.cards import ChipReader, SwipeReader
    if spec.kind == "emulated":   # presented again: the same virtual card (docs/emv.md, issuer update)
        from drivers.emulated.inprocess import InProcessChannel
        return ChipReader(lambda: open_chip_channel(spec, timeout_s),
                          lambda old: InProcessChannel(old.card, protocol=old.protocol))
    if spec.kind in ("pcsc", "replay"):
        return ChipReader(lambda: open_chip_channel(spec, timeout_s))
    return SwipeReader(lambda: read_tracks(spec, timeout_s))


def emulated_pinpad(cfg: Config, spec: ReaderSpec, pin: str | None):
    """The emulated cardholder's PIN pad (online PINs enciphered under the configured PIN key), when a PIN is
    known: --pin, or an emulated card's own test PIN. None: the PIN is typed on the operator's keypad."""
    pin = emulated_pin(spec, pin)
    if not pin:
        return None
    from terminal.emv.pin import EmulatedPinPad, Format0TdesKey
    return EmulatedPinPad(pin, Format0TdesKey(cfg.keys.pin_key))


def scripted_operator(text: str, cfg: Config, *, amount: int | None = None, start_idle: bool = False,
                      show=lambda screen: None):
    """The --keys script as the operator, typing in real time (WAIT:S is S real seconds) against the real
    host, with the terminal's keypad rules. With an amount given, the keypad starts waiting for the card."""
    from drivers.keypad.errors import KeyScriptError
    from drivers.keypad.script import ScriptedKeys
    from terminal.config import keypad_settings
    from terminal.keypad.fsm import KeypadFSM
    from terminal.keypad.settings import for_tty
    from terminal.keypad.states import State
    from terminal.txn.operator import KeypadOperator
    try:
        keys = ScriptedKeys.parse(text, clock=time.monotonic)
    except KeyScriptError as e:
        raise UsageError(str(e)) from None
    settings = for_tty(keypad_settings(cfg))   # a script has no contact bounce
    if amount is not None:
        fsm = KeypadFSM.for_sale(settings, amount)
    else:
        fsm = KeypadFSM(settings, start=State.IDLE if start_idle else State.AMOUNT_ENTRY)
    # With the amount on the command line the script is a cashier acting on one sale in flight: the terminal
    # takes the card's highest-priority application rather than wait for a choice (docs/decisions.md).
    return KeypadOperator(fsm, keys, time.monotonic, show, hold_ignored=True, chooses_application=amount is None)


def keyed_amount(operator) -> int | None:
    from drivers.keypad.errors import KeySourceExhausted
    from terminal.txn.operator import read_amount
    try:
        return read_amount(operator)
    except KeySourceExhausted:
        raise UsageError("--keys: the script ended before the amount was confirmed (digits, ENTER, ENTER)") \
            from None


def show_result(args: argparse.Namespace, cfg: Config, result, kind: str, extra: dict | None = None,
                write: Callable[[dict, list[str]], None] | None = None, slip=None) -> int:
    """The result as the contract's JSON, or the operator's line and (approved) the slip: its lines when no
    printer is configured, else what the printer did (`slip`: a terminal.receipt.output.Delivery)."""
    from terminal.i18n.money import Amount
    from terminal.i18n.text import _
    lines = [_("AMOUNT {amount}", amount=Amount(result.amount, cfg.terminal.currency)), _(result.message)]
    if result.reason and result.id is None and result.outcome == "not_sent":
        lines.append(_("({reason}; nothing sent)", reason=result.reason))
    extra = dict(extra or {})
    if slip is not None and cfg.printer.spec:
        extra["slip"] = slip.to_json()
    if getattr(args, "training", False):
        from terminal.training.session import mark_lines
        lines = mark_lines(lines)
        extra["training"] = True
    emit(args, result.to_json() | extra, lines + (slip.lines if slip is not None else []))
    if result.device_error and result.reason and result.id is None:
        from terminal.cli.common import fail
        fail(result.reason)   # a device error also says, on stderr, which device and what went wrong
    return result.exit_code


def chip_extras(driver) -> dict:
    outcome = driver.last_core.outcome if driver.last_core is not None else None
    if outcome is None:
        return {}
    return {"tvr": outcome.tvr.hex().upper(), "cvm": outcome.cvm, "application": outcome.application_label}


__all__ = ["card_source", "emulated_pinpad", "scripted_operator", "keyed_amount", "show_result", "chip_extras"]
