"""Drive an EmvKernel over a CardChannel (`transmit(apdu) -> response`), synchronously: the thin I/O shell of
kernel tests, benchmarks and firmware tools (a sale runs the kernel inside the sale core instead). It answers
the kernel's prompts with the kernel's own `pinpad` and `choose_application`. Reader errors (card removed, reader gone) end the run as ABORTED with the reason; after a host approval
that outcome says 'reversal needed'.

    runner = KernelRunner(channel, EmvKernel(config, txn, pinpad=pinpad))
    outcome = runner.run()                       # stops at GO_ONLINE or a final decision
    if outcome.decision is Decision.GO_ONLINE:
        ... send the 0200 with outcome.field55_request ...
        outcome = runner.complete(HostResponse(rc, field55_of_0210))   # or runner.complete(None): no host
"""
from __future__ import annotations

from typing import Callable

from drivers.errors import ReaderError
from terminal.emv.apdu import Command
from terminal.emv.issuer import HostResponse
from terminal.emv.kernel import EmvKernel, Finished, OnlineRequest, Step
from terminal.emv.outcome import Outcome
from terminal.emv.prompts import ApplicationChoice, PinPrompt, PresentCardAgain, block_from

# Optional observer of every exchange (command name, command bytes, response bytes): for APDU traces in tests
# and benchmarks. The default is none: a trace holds card data and must never reach a log.
Tracer = Callable[[str, bytes, bytes], None]


class KernelRunner:
    def __init__(self, channel, kernel: EmvKernel, tracer: Tracer | None = None,
                 present_again: Callable[[], bool] = lambda: True) -> None:
        """`present_again`: the cardholder's answer to 'Present card again' (Book C-3 issuer update); the
        default is a card still in the field of the same channel."""
        self.channel = channel
        self.present_again = present_again
        self.kernel = kernel
        self.tracer = tracer
        self.round_trips = 0
        self._step: Step | None = None

    def _drive(self, step: Step) -> Outcome:
        while isinstance(step, (Command, PinPrompt, ApplicationChoice, PresentCardAgain)):
            if isinstance(step, PresentCardAgain):
                step = self.kernel.card_presented_again(self.present_again())
                continue
            if isinstance(step, PinPrompt):
                pinpad = self.kernel.pinpad
                step = self.kernel.pin_entered(block_from(pinpad, step) if pinpad is not None else None)
                continue
            if isinstance(step, ApplicationChoice):
                chooser = self.kernel.choose_application
                step = self.kernel.application_chosen(chooser(list(step.candidates)) if chooser else None)
                continue
            try:
                raw = self._transmit(step.apdu)
            except ReaderError as err:
                step = self.kernel.card_error(str(err) or type(err).__name__)
                break
            if self.tracer:
                self.tracer(step.name, step.apdu, raw)
            step = self.kernel.card_response(raw)
        self._step = step
        if isinstance(step, (OnlineRequest, Finished)):
            return step.outcome
        raise RuntimeError(f"kernel returned {step!r}")

    def _transmit(self, command: bytes) -> bytes:
        """One command; the channel has already followed a T=0 card's 61xx / 6Cxx (drivers/t0_transport)."""
        self.round_trips += 1
        return self.channel.transmit(command)

    def run(self) -> Outcome:
        return self._drive(self.kernel.start())

    def complete(self, host: HostResponse | None) -> Outcome:
        if not isinstance(self._step, OnlineRequest):
            raise RuntimeError("complete() is only valid after run() returned GO_ONLINE")
        return self._drive(self.kernel.host_response(host))
