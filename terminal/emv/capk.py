"""Certification Authority public keys (EMV Book 2 section 11.2.2): the terminal keeps them per RID and index
and checks each key's SHA-1 checksum over RID || index || modulus || exponent before it is used.

Two sets ship with the kernel, both public and for TESTING only:
- data/scheme_test_capk.json: the payment schemes' published test CA keys (Visa, Mastercard, Amex, UnionPay);
- data/posterm_test_capk.json: the posterm test CA that signs the virtual cards' issuer certificates
  (its private halves are in drivers/emulated/vcard/profiles/test_keys.json, clearly labelled test-only).
And the schemes' production (live) keys, data/scheme_production_capk.json, each with its published checksum and
expiry (`production_keys`); `store_for("production" | "test" | "both", extra_file)` builds the store the
terminal uses ([emv] ca_keys / extra_ca_keys)."""
from __future__ import annotations

import hashlib
import functools
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterable

from terminal.emv.errors import ConfigError

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class CaPublicKey:
    rid: bytes
    index: int
    modulus: bytes
    exponent: bytes
    checksum: bytes
    scheme: str = ""
    expiry: date | None = None          # last day the key may be used; None: no expiry given (test keys)

    def expired(self, today: date) -> bool:
        return self.expiry is not None and today > self.expiry

    def computed_checksum(self) -> bytes:
        return hashlib.sha1(self.rid + bytes([self.index]) + self.modulus + self.exponent).digest()

    @property
    def exponent_int(self) -> int:
        return int.from_bytes(self.exponent, "big")


def _from_json(entry: dict, source: str) -> CaPublicKey:
    try:
        key = CaPublicKey(
            rid=bytes.fromhex(entry["rid"]), index=int(entry["index"], 16), modulus=bytes.fromhex(entry["modulus"]),
            exponent=bytes.fromhex(entry["exponent"]), checksum=bytes.fromhex(entry["checksum"]),
            scheme=entry.get("scheme", ""),
            expiry=date.fromisoformat(entry["expiry"]) if entry.get("expiry") else None)
    except (KeyError, ValueError, TypeError) as err:
        raise ConfigError(f"{source}: CA key entry {entry.get('rid')}/{entry.get('index')} is malformed: {err}") from None
    if len(key.rid) != 5:
        raise ConfigError(f"{source}: RID {entry['rid']} is not 5 bytes")
    if key.computed_checksum() != key.checksum:
        raise ConfigError(f"{source}: CA key {entry['rid']}/{entry['index']}: checksum does not match (Book 2 11.2.2)")
    return key


def load_keys(path: str | Path) -> list[CaPublicKey]:
    """Load and verify a JSON key file: {"keys": [{rid, index, modulus, exponent, checksum}, ...]}."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ConfigError(f"{path}: cannot read CA keys: {err}") from None
    return [_from_json(entry, str(path)) for entry in doc.get("keys", [])]


class KeyStore:
    """The terminal's CA keys, looked up by (RID, index) as Book 3 10.3 step 1 does."""

    def __init__(self, keys: Iterable[CaPublicKey]) -> None:
        self._keys = {(k.rid, k.index): k for k in keys}

    def get(self, rid: bytes, index: int, today: date | None = None) -> CaPublicKey | None:
        """The key, or None when there is none; with `today`, an expired key is not given out either."""
        key = self._keys.get((bytes(rid), index))
        if key is not None and today is not None and key.expired(today):
            return None
        return key

    def find(self, rid: bytes, index: int) -> CaPublicKey | None:
        return self._keys.get((bytes(rid), index))

    def keys(self) -> list[CaPublicKey]:
        return sorted(self._keys.values(), key=lambda k: (k.rid, k.index))

    def __len__(self) -> int:
        return len(self._keys)


def scheme_test_keys() -> list[CaPublicKey]:
    return load_keys(DATA_DIR / "scheme_test_capk.json")


def production_keys() -> list[CaPublicKey]:
    """The schemes' live CA keys (data/scheme_production_capk.json), kept apart from every test key."""
    return load_keys(DATA_DIR / "scheme_production_capk.json")


CA_KEY_SETS = ("production", "test", "both")


@functools.cache
def _store(ca_keys: str, extra: str) -> KeyStore:
    if ca_keys not in CA_KEY_SETS:
        raise ConfigError(f"[emv] ca_keys = {ca_keys!r}: expected one of {', '.join(CA_KEY_SETS)}")
    keys: list[CaPublicKey] = []
    if ca_keys in ("production", "both"):
        keys += production_keys()
    if ca_keys in ("test", "both"):
        keys += [*scheme_test_keys(), *posterm_test_keys()]
    if extra:
        keys += load_keys(extra)            # same format, checksum-verified the same way
    return KeyStore(keys)


def store_for(ca_keys: str, extra_ca_keys: str = "") -> KeyStore:
    """The terminal's key store for `[emv] ca_keys` ('production', 'test' or 'both') and `extra_ca_keys` (a
    JSON file in the shipped format: an acquirer's certification CA, a test lab's). Read once per process."""
    return _store(ca_keys, str(extra_ca_keys or ""))


def posterm_test_keys() -> list[CaPublicKey]:
    return load_keys(DATA_DIR / "posterm_test_capk.json")


@functools.cache
def default_test_store() -> KeyStore:
    """Every test key the project knows: what the demo and the tests configure. Read and checked once per
    process (a KeyStore is never changed after it is built): a terminal's every sale needs it."""
    return KeyStore([*scheme_test_keys(), *posterm_test_keys()])
