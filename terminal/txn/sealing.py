"""Card data kept for an offline advice, sealed at rest with AES-GCM (DESIGN.md 'Security').

Only what a 0220 needs: PAN, expiry, PSN and field 55 without tag 57 — never track 2, PIN block or CVV. The
transaction id is the associated data, so a sealed blob moved to another row does not open.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class SealError(Exception):
    pass


@dataclass(frozen=True)
class AdviceData:
    pan: str = field(repr=False)
    expiry: str = field(repr=False)
    icc: bytes = field(repr=False)
    psn: str | None = None


def seal(key: bytes, txn_id: int, data: AdviceData) -> bytes:
    nonce = os.urandom(12)
    plain = json.dumps({"pan": data.pan, "expiry": data.expiry, "icc": data.icc.hex(), "psn": data.psn}).encode()
    return nonce + AESGCM(key).encrypt(nonce, plain, str(txn_id).encode())


def unseal(key: bytes, txn_id: int, blob: bytes) -> AdviceData:
    try:
        plain = AESGCM(key).decrypt(blob[:12], blob[12:], str(txn_id).encode())
    except (InvalidTag, ValueError):
        raise SealError(f"sealed card data of transaction {txn_id} does not open (wrong key or damaged)") from None
    d = json.loads(plain)
    return AdviceData(d["pan"], d["expiry"], bytes.fromhex(d["icc"]), d["psn"])
