"""The state one kernel run accumulates: terminal and card data elements, TVR/TSI, the static data for ODA, and
what each phase decided. Phases (selection, gpo, records, oda, ...) read and write it; nothing here does I/O."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generator, Iterable, TypeVar

from drivers.emvspec.ber_tlv import Tlv, parse_deep, primitives
from drivers.emvspec.errors import TlvError
from terminal.emv import tags
from terminal.emv.apdu import Command, Response
from terminal.emv.config import AidConfig, EmvTerminalData, Transaction
from terminal.emv.errors import CardDataError
from terminal.emv.tvr import BitField, new_tsi, new_tvr

T = TypeVar("T")
# A phase is a generator: it yields commands for the card and receives their responses.
Phase = Generator[Command, Response, T]


@dataclass
class KernelContext:
    config: EmvTerminalData
    txn: Transaction
    tvr: BitField = field(default_factory=new_tvr)
    tsi: BitField = field(default_factory=new_tsi)
    card: dict[int, bytes] = field(default_factory=dict)
    terminal: dict[int, bytes] = field(default_factory=dict)
    oda_static_data: bytearray = field(default_factory=bytearray)
    oda_record_problem: bool = False
    aid: AidConfig | None = None
    selected_aid: bytes = b""
    label: str = ""
    language_preference: str = ""          # 5F2D of the selected application's FCI: 'en', 'zhen', ...
    contactless: bool = False
    oda_method: str | None = None          # 'sda', 'dda', 'cda' or None
    oda_failure: str = ""
    icc_key: object | None = None          # oda.PublicKey once recovered
    pdol_data: bytes = b""
    cdol1_data: bytes = b""
    cvm: str = ""                          # what the cardholder did: offline_pin, online_pin, signature, ...
    pin_block: bytes | None = None         # field 52 when online PIN was entered (never logged)
    script_results: bytearray = field(default_factory=bytearray)
    commands_sent: int = 0
    blocked_aids: list[bytes] = field(default_factory=list)

    def value(self, tag: int) -> bytes | None:
        """Terminal data first (amounts, TVR...), then card data: what a DOL or field 55 asks for."""
        if tag == 0x95:
            return bytes(self.tvr)
        if tag == 0x9B:
            return bytes(self.tsi)
        if tag in self.terminal:
            return self.terminal[tag]
        return self.card.get(tag)

    def values(self) -> dict[int, bytes]:
        merged = dict(self.card)
        merged.update(self.terminal)
        merged[0x95] = bytes(self.tvr)
        merged[0x9B] = bytes(self.tsi)
        return merged

    def store_card(self, objects: Iterable[Tlv], where: str, unique: bool = True) -> None:
        """Keep the card's primitive data objects. A second copy of the same tag from the card's records is an
        error (Book 3 10.2: redundant data objects terminate the transaction)."""
        for obj in primitives(objects):
            problem = tags.check_value(obj.tag, obj.value)
            if problem:
                raise CardDataError(f"{where}: {problem}")
            if unique and obj.tag in self.card and self.card[obj.tag] != obj.value:
                raise CardDataError(f"{where}: tag {tags.name(obj.tag)} appears twice with different values")
            self.card[obj.tag] = obj.value

    def require(self, tag: int, where: str) -> bytes:
        value = self.card.get(tag)
        if value is None:
            self.tvr.set("icc_data_missing")
            raise CardDataError(f"{where}: mandatory tag {tags.name(tag)} missing")
        return value


def parse_response(data: bytes, where: str) -> list[Tlv]:
    """Parse a card response completely; a TLV defect becomes a CardDataError naming the command."""
    try:
        return parse_deep(data)
    except TlvError as err:
        raise CardDataError(f"{where}: {err}") from None


def exchange(ctx: KernelContext, command: Command) -> Phase[Response]:
    """Send one command and get its response: the only way a phase talks to the card."""
    ctx.commands_sent += 1
    response = yield command
    return response


def get_data(ctx: KernelContext, tag: int) -> Phase[bytes | None]:
    """GET DATA of one primitive object (ATC, Last Online ATC, PIN Try Counter); None when the card does not
    answer it cleanly: the callers treat that as 'not available' (Book 3 10.5.1 and 10.6.3)."""
    from terminal.emv import apdu
    resp = yield from exchange(ctx, apdu.get_data(tag))
    if not resp.ok:
        return None
    try:
        objs = parse_deep(resp.data)
    except TlvError:
        return None
    if len(objs) == 1 and objs[0].tag == tag:
        return objs[0].value
    return None
