"""The dialect as data: every field of host-interface.md, and the pyiso8583 spec generated from it.

Kinds: n (digits, right-aligned zero-padded), an/ans (left-aligned space-padded), z (track 2 text), b (raw
bytes). `var` is 0 for fixed fields, 2 for LLVAR, 3 for LLLVAR; `length` is the fixed length or the maximum.
Fields the table does not name are not part of the dialect: a message carrying one is rejected.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldDef:
    name: str
    kind: str
    length: int
    var: int = 0


FIELDS: dict[int, FieldDef] = {
    2: FieldDef("PAN", "n", 19, 2),
    3: FieldDef("processing code", "n", 6),
    4: FieldDef("amount", "n", 12),
    7: FieldDef("transmission date/time", "n", 10),
    11: FieldDef("STAN", "n", 6),
    12: FieldDef("local time", "n", 6),
    13: FieldDef("local date", "n", 4),
    14: FieldDef("expiry", "n", 4),
    22: FieldDef("POS entry mode", "n", 3),
    23: FieldDef("card sequence number", "n", 3),
    25: FieldDef("POS condition code", "n", 2),
    35: FieldDef("track 2", "z", 37, 2),
    37: FieldDef("RRN", "an", 12),
    38: FieldDef("authorization code", "an", 6),
    39: FieldDef("response code", "an", 2),
    41: FieldDef("terminal id", "ans", 8),
    42: FieldDef("merchant id", "ans", 15),
    49: FieldDef("currency", "n", 3),
    52: FieldDef("PIN block", "b", 8),
    55: FieldDef("ICC data", "b", 255, 3),
    60: FieldDef("batch number", "n", 6),
    64: FieldDef("MAC", "b", 8),
    70: FieldDef("network management code", "n", 3),
    74: FieldDef("credits count", "n", 10),
    76: FieldDef("debits count", "n", 10),
    86: FieldDef("credits amount", "n", 16),
    88: FieldDef("debits amount", "n", 16),
    90: FieldDef("original data elements", "n", 42),
    128: FieldDef("MAC", "b", 8),
}

MAX_MESSAGE = 4096
MAC_LEN = 8
UNMACED_MTIS = frozenset({"0800", "0810"})

# Mandatory request fields per MTI (host-interface.md 'Messages'); card data is checked separately because it
# is one of two shapes (35, or 2+14).
MANDATORY: dict[str, frozenset[int]] = {
    "0200": frozenset({3, 4, 7, 11, 12, 13, 22, 25, 41, 42, 49, 60}),
    "0220": frozenset({3, 4, 7, 11, 12, 13, 22, 25, 39, 41, 42, 49, 55, 60}),
    "0320": frozenset({3, 4, 7, 11, 12, 13, 22, 25, 37, 38, 39, 41, 42, 49, 60}),
    "0400": frozenset({3, 4, 7, 11, 12, 13, 22, 39, 41, 42, 49, 60, 90}),
    "0500": frozenset({3, 7, 11, 41, 42, 60, 74, 76, 86, 88}),
    "0800": frozenset({7, 11, 41, 70}),
}
MANDATORY["0221"] = MANDATORY["0220"]
MANDATORY["0401"] = MANDATORY["0400"]
RESPONSE_MTI = {"0200": "0210", "0220": "0230", "0221": "0230", "0320": "0330", "0400": "0410", "0401": "0410",
                "0500": "0510", "0800": "0810"}
# Responses echo these request fields so the terminal can match them; 39 is mandatory in every response.
ECHOED = (3, 4, 11, 12, 13, 41, 42, 49, 60, 70)
RESPONSE_MANDATORY = frozenset({11, 39, 41})


def _pyiso_field(f: FieldDef) -> dict:
    if f.kind == "b":
        return {"data_enc": "b", "len_enc": "ascii", "len_type": f.var, "max_len": f.length, "desc": f.name}
    return {"data_enc": "ascii", "len_enc": "ascii", "len_type": f.var, "max_len": f.length, "desc": f.name}


def build_spec() -> dict:
    spec: dict = {
        "h": {"data_enc": "ascii", "len_enc": "ascii", "len_type": 0, "max_len": 0, "desc": "no header"},
        "t": {"data_enc": "ascii", "len_enc": "ascii", "len_type": 0, "max_len": 4, "desc": "MTI"},
        "p": {"data_enc": "b", "len_enc": "ascii", "len_type": 0, "max_len": 8, "desc": "primary bitmap"},
        "1": {"data_enc": "b", "len_enc": "ascii", "len_type": 0, "max_len": 8, "desc": "secondary bitmap"},
    }
    # pyiso8583 needs an entry for every field number it may meet while decoding; those outside the dialect
    # are declared as 1-byte placeholders and rejected after decode by name.
    for n in range(2, 129):
        spec[str(n)] = _pyiso_field(FIELDS.get(n, FieldDef("not in dialect", "b", 1)))
    return spec


SPEC = build_spec()
