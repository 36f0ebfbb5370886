"""The keyed hash that stands for a card in every risk record: HMAC-SHA256 of the PAN under a terminal key.

A bare SHA-256 of a PAN is no protection: a BIN leaves about 10^9 candidates, hashed in seconds. Under a key
that lives in the configuration (or the parameter bundle) and never in the journal, the hash in the journal
says nothing about the card to whoever copies the file. The exception file lists cards by the same hash, so
the acquirer who distributes the list computes it with the same key.
"""
from __future__ import annotations

import hashlib
import hmac

HASH_HEX_DIGITS = 64


def card_hash(pan: str, key: bytes) -> str:
    """64 lowercase hex digits. `pan` is the PAN's digits only (no padding F, no separators)."""
    if not key:
        raise ValueError("card hash: no key")
    return hmac.new(key, pan.encode("ascii"), hashlib.sha256).hexdigest()


def derived_key(data_key: bytes) -> bytes:
    """The hash key when [risk] hash_key is not set: derived from the terminal's data key, so it is as secret
    as that key and differs between terminals that are provisioned with different keys."""
    return hmac.new(data_key, b"posterm risk card hash v1", hashlib.sha256).digest()
