"""The terminal application layer (EMV Book 3 section 6.5, Book 1 11): command APDUs the kernel sends and the
response split into data and status word. Pure bytes, no I/O."""
from __future__ import annotations

from dataclasses import dataclass

from terminal.emv.errors import CardDataError

SW_OK = 0x9000
SW_APP_BLOCKED = 0x6283        # SELECT: selected file invalidated (application blocked), Book 1 11.3.5
SW_FILE_NOT_FOUND = 0x6A82
SW_RECORD_NOT_FOUND = 0x6A83
SW_FUNCTION_NOT_SUPPORTED = 0x6A81
SW_CONDITIONS_NOT_SATISFIED = 0x6985
SW_AUTH_METHOD_BLOCKED = 0x6983
SW_REF_DATA_INVALIDATED = 0x6984
SW_ISSUER_AUTH_FAILED = 0x6300


@dataclass(frozen=True)
class Response:
    data: bytes
    sw: int

    @classmethod
    def parse(cls, raw: bytes, command: str) -> "Response":
        if len(raw) < 2:
            raise CardDataError(f"{command}: response of {len(raw)} bytes has no status word")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK


@dataclass(frozen=True)
class Command:
    """A command APDU with a human name for traces and error messages."""

    name: str
    apdu: bytes


def _apdu(cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = 0) -> bytes:
    body = bytes([cla, ins, p1, p2])
    if len(data) > 255:
        raise CardDataError(f"command data of {len(data)} bytes does not fit a short APDU (the card's DOL asks "
                            "for too much)")
    if data:
        body += bytes([len(data)]) + data
    if le is not None:
        body += bytes([le])
    return body


def select(name: bytes, first: bool = True) -> Command:
    return Command("SELECT", _apdu(0x00, 0xA4, 0x04, 0x00 if first else 0x02, name))


def read_record(sfi: int, record: int) -> Command:
    return Command(f"READ RECORD {sfi}.{record}", _apdu(0x00, 0xB2, record, (sfi << 3) | 0x04))


def get_processing_options(pdol_data: bytes) -> Command:
    return Command("GET PROCESSING OPTIONS", _apdu(0x80, 0xA8, 0x00, 0x00, b"\x83" + bytes([len(pdol_data)]) + pdol_data))


def get_data(tag: int) -> Command:
    return Command(f"GET DATA {tag:04X}", _apdu(0x80, 0xCA, tag >> 8, tag & 0xFF))


def verify(pin_data: bytes, enciphered: bool) -> Command:
    return Command("VERIFY", _apdu(0x00, 0x20, 0x00, 0x88 if enciphered else 0x80, pin_data, le=None))


def get_challenge() -> Command:
    return Command("GET CHALLENGE", _apdu(0x00, 0x84, 0x00, 0x00))


def internal_authenticate(ddol_data: bytes) -> Command:
    return Command("INTERNAL AUTHENTICATE", _apdu(0x00, 0x88, 0x00, 0x00, ddol_data))


# Reference control parameter of GENERATE AC, Book 3 Table 12
P1_AAC, P1_TC, P1_ARQC, P1_CDA = 0x00, 0x40, 0x80, 0x10


def generate_ac(p1: int, cdol_data: bytes, second: bool) -> Command:
    label = {P1_AAC: "AAC", P1_TC: "TC", P1_ARQC: "ARQC"}[p1 & 0xC0]
    name = f"{'2nd' if second else '1st'} GENERATE AC ({label}{', CDA' if p1 & P1_CDA else ''})"
    return Command(name, _apdu(0x80, 0xAE, p1, 0x00, cdol_data))


def external_authenticate(issuer_auth_data: bytes) -> Command:
    return Command("EXTERNAL AUTHENTICATE", _apdu(0x00, 0x82, 0x00, 0x00, issuer_auth_data, le=None))


def raw(name: str, apdu: bytes) -> Command:
    return Command(name, bytes(apdu))
