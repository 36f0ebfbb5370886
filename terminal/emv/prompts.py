"""What the kernel asks of the people at the counter, yielded like a card command (the kernel never waits).

The driver answers a `PinPrompt` with the PIN pad's block (`kernel.pin_entered(block)`, None: no PIN entered)
and an `ApplicationChoice` with the chosen index (`kernel.application_chosen(index)`, None: nobody chose). A
PCI PIN pad builds the block itself; the kernel only carries it to the card (VERIFY) or to the host (field 52).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PinPrompt:
    method: str                      # offline_plaintext, offline_enciphered, online
    tries_left: int | None
    modulus: bytes = field(default=b"", repr=False)     # offline_enciphered: the ICC (or PIN) public key
    exponent: bytes = field(default=b"", repr=False)
    challenge: bytes = field(default=b"", repr=False)   # GET CHALLENGE's 8 bytes
    pan: str = field(default="", repr=False)            # online: format 0/4 blocks bind the PAN

    @property
    def online(self) -> bool:
        return self.method == "online"


@dataclass(frozen=True)
class ApplicationChoice:
    labels: tuple[str, ...]          # label, or the AID in hex when the card gave no label
    candidates: tuple = field(default=(), repr=False)


def block_from(pinpad, prompt: PinPrompt) -> bytes | None:
    """Ask an emv.pin.PinPad for the block `prompt` wants."""
    if prompt.method == "offline_plaintext":
        return pinpad.plaintext_offline_pin(prompt.tries_left)
    if prompt.method == "offline_enciphered":
        return pinpad.enciphered_offline_pin(prompt.tries_left, prompt.modulus, prompt.exponent, prompt.challenge)
    return pinpad.online_pin(prompt.pan)


@dataclass(frozen=True)
class PresentCardAgain:
    """Book C-3 issuer update processing: the card left the field after GPO, and the issuer's answer carries
    data for it (91, scripts 71/72). The driver shows `message` ('Present card again'), waits for a card and
    answers `kernel.card_presented_again(True)` once it is back in the field, `False` when none came in time."""
    message: str
    aid: bytes = b""
