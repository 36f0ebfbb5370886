"""EMV kernel benchmark: card round trips per sale beside the minimum the flow needs, and the terminal's CPU time
per kernel run (time.process_time, median over many runs), against the in-process virtual cards.

Terminal CPU = the whole run's process time minus the time spent inside the channel (the virtual card computes
its cryptograms and RSA signatures in this same process) and inside the issuer simulator. Budget (DESIGN.md):
a whole EMV sale under 5 ms of terminal CPU, median.

Minimum round trips: what Book 3 cannot do without for that card: final SELECT, GPO, one READ RECORD per AFL
record, INTERNAL AUTHENTICATE (DDA), GET CHALLENGE + VERIFY (enciphered PIN) or VERIFY (plaintext PIN), first
GENERATE AC, EXTERNAL AUTHENTICATE (when 91 is not in CDOL2), second GENERATE AC. Everything above is
selection (PSE/AID list) and optional GET DATA (PIN try counter, ATC and last online ATC for velocity checks).

Contactless taps (Book B entry point, kernels C-3 and C-2) are measured by bench/bench_contactless.py.

Run: .venv/bin/python -m bench.bench_emv [runs]"""
from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime, timezone

from drivers.emulated.inprocess import InProcessChannel
from drivers.emulated.vcard import load_profile
from terminal.emv.config import EmvTerminalData, Transaction
from terminal.emv.gpo import parse_afl
from terminal.emv.issuer import HostResponse
from terminal.emv.kernel import EmvKernel
from terminal.emv.outcome import Decision
from terminal.emv.pin import EmulatedPinPad
from terminal.emv.runner import KernelRunner
from bench.timing import TimedChannel
from terminal.hostsim.issuer_emv import make_issuer_response

PROFILES = ("visa", "mastercard", "unionpay")      # contactless kernels: bench/bench_contactless.py
PINS = {"visa": "1234", "mastercard": "4321", "unionpay": "123456", "contactless": "1234"}
SALE_TIME = datetime(2025, 6, 1, 12, 30, tzinfo=timezone.utc)


def minimum_round_trips(card, cvm: str) -> int:
    img = card.image
    records = sum(e.last - e.first + 1 for e in parse_afl(img.afl))
    n = 1 + 1 + records + 2                                   # final SELECT, GPO, records, two GENERATE AC
    n += 1 if img.oda == "dda" else 0                         # INTERNAL AUTHENTICATE
    n += {"offline_pin": 1, "enciphered_offline_pin": 2}.get(cvm, 0)
    n += 0 if any(tag == 0x91 for tag, _ in img.cdol2) else 1   # EXTERNAL AUTHENTICATE
    return n


def one_sale(profile: str):
    card = load_profile(profile)
    channel = TimedChannel(InProcessChannel(card), clock=time.process_time)
    kernel = EmvKernel(EmvTerminalData(contactless_interface=profile == "contactless"), Transaction(12345, now=SALE_TIME),
                       pinpad=EmulatedPinPad(PINS[profile]))
    runner = KernelRunner(channel, kernel)
    start = time.process_time()
    out = runner.run()
    issuer = 0.0
    if out.decision is Decision.GO_ONLINE:
        t = time.process_time()
        data = make_issuer_response(out.field55_request, out.pan, out.psn, True)
        issuer = time.process_time() - t
        out = runner.complete(HostResponse("00", data))
    total = time.process_time() - start
    return out, total - channel.spent - issuer, channel.inner.exchanges, card


def one_core_sale(profile: str) -> float:
    """The same sale through the sale core (terminal/txn/core.py), as the driver loop runs it, without the
    journal and the link: the core's CPU on top of the kernel's, minus the card's and the issuer's."""
    from terminal.config import Config
    from terminal.emv.prompts import block_from
    from terminal.iso8583 import Message
    from terminal.txn import core as c
    from terminal.txn.clock import ManualClock
    from terminal.txn.exchange import Answered
    card = load_profile(profile)
    channel = TimedChannel(InProcessChannel(card), clock=time.process_time)
    clock, pinpad = ManualClock(), EmulatedPinPad(PINS[profile])
    sale = c.SaleCore(Config(), "purchase", 12345, pin_entry=True)
    issuer = 0.0
    start = time.process_time()
    effects = sale.start(clock.now())
    events = {c.AwaitCard: lambda e: c.ChipPresented(profile == "contactless", 1),
              c.PromptPin: lambda e: c.PinEntered(block_from(pinpad, e.prompt)),
              c.SettleOperator: lambda e: c.OperatorSettled(False),
              c.ClearReversals: lambda e: c.Cleared(0),
              c.WriteAhead: lambda e: c.Committed(1, 1, 1)}
    while effects:
        effect = effects.pop(0)
        if isinstance(effect, c.Transmit):
            event = c.CardAnswered(channel.transmit(effect.apdu))
        elif isinstance(effect, c.Send):
            t = time.process_time()
            out = sale.outcome
            data = make_issuer_response(out.field55_request, out.pan, out.psn, True)
            answer = Message("0210", {11: effect.request.stan, 39: "00", 38: "000001", 37: "000000000001", 55: data})
            issuer = time.process_time() - t
            event = c.HostReplied(Answered(answer))
        elif type(effect) in events:
            event = events[type(effect)](effect)
        else:
            continue
        effects.extend(sale.handle(event, clock.now()))
    assert sale.finished is not None and sale.finished.message == "APPROVED", sale.finished
    return time.process_time() - start - channel.spent - issuer


def main(runs: int = 200) -> None:
    print(f"{'profile':12} {'decision':16} {'APDUs':>5} {'raw':>4} {'minimum':>7} {'terminal CPU median':>20} "
          f"{'p90':>8}   budget 5 ms")
    for profile in PROFILES:
        one_sale(profile)                                       # warm caches (certificates, imports)
        samples = []
        for _ in range(runs):
            out, cpu, raw, card = one_sale(profile)
            samples.append(cpu)
        samples.sort()
        median = statistics.median(samples) * 1000
        p90 = samples[int(len(samples) * 0.9)] * 1000
        print(f"{profile:12} {out.decision.value:16} {out.apdu_count:5d} {raw:4d} "
              f"{minimum_round_trips(card, out.cvm):7d} {median:17.3f} ms {p90:6.3f} ms   "
              f"{'OK' if median < 5 else 'OVER'}")
    print("APDUs = commands the kernel sent; raw = exchanges on the wire incl. T=0 GET RESPONSE")
    print()
    print(f"{'profile':12} {'kernel alone':>14} {'sale core + kernel':>20} {'ratio':>6}   budget 5 ms (whole sale)")
    for profile in PROFILES:
        one_core_sale(profile)
        kernel = statistics.median(one_sale(profile)[1] for _ in range(runs)) * 1000
        core = statistics.median(one_core_sale(profile) for _ in range(runs)) * 1000
        print(f"{profile:12} {kernel:11.3f} ms {core:17.3f} ms {core / kernel:5.2f}x   {'OK' if core < 5 else 'OVER'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
