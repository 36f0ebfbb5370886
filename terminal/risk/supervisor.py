"""The supervisor PIN, known to the terminal only as a salted, slow hash ([risk] supervisor_pin_hash).

Format: pbkdf2-sha256$ITERATIONS$SALT_HEX$HASH_HEX. The PIN itself is typed on the keypad into a
`SupervisorPinEntry` (terminal/txn/risk_io.py; the keypad state machine keeps only the count of digits),
compared here in constant time and wiped: it is never logged, journaled or shown.
"""
from __future__ import annotations

import hashlib
import hmac
import os

SCHEME = "pbkdf2-sha256"
ITERATIONS = 200_000


def hash_pin(pin: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    if not (pin.isdigit() and 4 <= len(pin) <= 12):
        raise ValueError("a supervisor PIN is 4 to 12 digits")
    salt = os.urandom(16) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode("ascii"), salt, iterations)
    return f"{SCHEME}${iterations}${salt.hex()}${digest.hex()}"


def check_format(stored: str) -> str:
    """The stored hash if well formed, else ValueError naming what is wrong (the config check uses it)."""
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != SCHEME:
        raise ValueError(f"expected {SCHEME}$ITERATIONS$SALT_HEX$HASH_HEX (posterm config pin-hash makes one)")
    try:
        iterations = int(parts[1])
        bytes.fromhex(parts[2])
        digest = bytes.fromhex(parts[3])
    except ValueError:
        raise ValueError("iterations must be a number and salt and hash hex digits") from None
    if iterations < 10_000 or len(digest) != 32:
        raise ValueError("at least 10000 iterations and a 32-byte hash")
    return stored


def matches(pin: str, stored: str) -> bool:
    if not stored or not pin:
        return False
    _, iterations, salt, digest = stored.split("$")
    got = hashlib.pbkdf2_hmac("sha256", pin.encode("ascii"), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(got, bytes.fromhex(digest))
