"""Certification Authority public keys (EMV Book 2 section 11.2.2): the terminal keeps them per RID and index
and checks each key's SHA-1 checksum over RID || index || modulus || exponent before it is used.

Two sets ship with the kernel, both public and for TESTING only:
- data/scheme_test_capk.json: the payment schemes' published test CA keys (Visa, Mastercard, Amex, UnionPay);
- data/posterm_test_capk.json: the posterm test CA that signs the virtual cards' issuer certificates
  (its private halves are in drivers/emulated/vcard/profiles/test_keys.json, clearly labelled test-only).
And the schemes' production (live) keys, data/scheme_production_capk.json (Visa, Mastercard, American Express,
Discover/Diners, JCB, UnionPay), each with its published checksum, expiry and origin (`production_keys`).
`store_for("production" | "test" | "both", extra_file)` builds the store the terminal uses ([emv] ca_keys /
extra_ca_keys); `read_entries` parses a file without refusing it, for the `posterm fw capk list` report."""
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
PRODUCTION_FILE = DATA_DIR / "scheme_production_capk.json"
SCHEME_TEST_FILE = DATA_DIR / "scheme_test_capk.json"
POSTERM_TEST_FILE = DATA_DIR / "posterm_test_capk.json"


@dataclass(frozen=True)
class CaPublicKey:
    rid: bytes
    index: int
    modulus: bytes
    exponent: bytes
    checksum: bytes
    scheme: str = ""
    expiry: date | None = None          # last day the key may be used; None: no expiry given (test keys)
    origin: str = ""                    # where the values were taken from (the shipped files say, per key)
    source: str = ""                    # the file it was loaded from

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
            expiry=date.fromisoformat(entry["expiry"]) if entry.get("expiry") else None,
            origin=entry.get("origin", ""), source=source)
    except (KeyError, ValueError, TypeError, AttributeError) as err:
        raise ConfigError(f"{source}: CA key entry {entry.get('rid')}/{entry.get('index')} is malformed: {err}") from None
    if len(key.rid) != 5:
        raise ConfigError(f"{source}: RID {entry['rid']} is not 5 bytes")
    if not 0 <= key.index <= 0xFF:
        raise ConfigError(f"{source}: CA key {entry['rid']}/{entry['index']}: index is not one byte")
    return key


def read_entries(path: str | Path) -> list[CaPublicKey]:
    """The keys of a JSON key file, {"keys": [{rid, index, modulus, exponent, checksum, ...}, ...]}, parsed
    but NOT checksum-checked: for a report that shows which entries fail (`posterm fw capk list`)."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
        entries = doc.get("keys", [])
    except (OSError, ValueError, AttributeError) as err:
        raise ConfigError(f"{path}: cannot read CA keys: {err}") from None
    return [_from_json(entry, str(path)) for entry in entries]


def _verified(key: CaPublicKey) -> CaPublicKey:
    if key.computed_checksum() != key.checksum:
        raise ConfigError(f"{key.source}: CA key {key.rid.hex().upper()}/{key.index:02X}: checksum does not match "
                          "(Book 2 11.2.2)")
    return key


def load_entry(entry: dict, source: str) -> CaPublicKey:
    """One key in the file format (a bundle's [[ca_key]] table), its checksum verified."""
    return _verified(_from_json(entry, source))


def load_keys(path: str | Path) -> list[CaPublicKey]:
    """Load and verify a JSON key file: every checksum must match, or the whole file is refused (a
    transcription error in one key must not go unnoticed)."""
    return [_verified(key) for key in read_entries(path)]


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
    return load_keys(SCHEME_TEST_FILE)


def production_keys() -> list[CaPublicKey]:
    """The schemes' live CA keys (data/scheme_production_capk.json), kept apart from every test key."""
    return load_keys(PRODUCTION_FILE)


CA_KEY_SETS = ("production", "test", "both")


def key_files(ca_keys: str, extra: str = "") -> list[Path]:
    """The key files `[emv] ca_keys` and `extra_ca_keys` name, in load order (a later file's key with the same
    RID and index wins: an acquirer's extra file can replace a shipped key)."""
    if ca_keys not in CA_KEY_SETS:
        raise ConfigError(f"[emv] ca_keys = {ca_keys!r}: expected one of {', '.join(CA_KEY_SETS)}")
    files: list[Path] = []
    if ca_keys in ("production", "both"):
        files.append(PRODUCTION_FILE)
    if ca_keys in ("test", "both"):
        files += [SCHEME_TEST_FILE, POSTERM_TEST_FILE]
    if extra:
        files.append(Path(extra))           # same format, checksum-verified the same way
    return files


@functools.cache
def _store(ca_keys: str, extra: str) -> KeyStore:
    return KeyStore([key for path in key_files(ca_keys, extra) for key in load_keys(path)])


def store_for(ca_keys: str, extra_ca_keys: str = "") -> KeyStore:
    """The terminal's key store for `[emv] ca_keys` ('production', 'test' or 'both') and `extra_ca_keys` (a
    JSON file in the shipped format: an acquirer's certification CA, a test lab's). Read once per process."""
    return _store(ca_keys, str(extra_ca_keys or ""))


def posterm_test_keys() -> list[CaPublicKey]:
    return load_keys(POSTERM_TEST_FILE)


@functools.cache
def default_test_store() -> KeyStore:
    """Every test key the project knows: what the demo and the tests configure. Read and checked once per
    process (a KeyStore is never changed after it is built): a terminal's every sale needs it."""
    return KeyStore([*scheme_test_keys(), *posterm_test_keys()])
