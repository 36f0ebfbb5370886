"""Signed parameter bundles (first part: signing, verification, all-or-nothing install, rollback).

A bundle is one JSON file: {"format": 1, "payload": BASE64, "signature": BASE64}. The payload is the canonical
JSON (sorted keys, no spaces) of {"version": N, "terminal_id": ID or "*", "expires": ISO date or null,
"params": {...the PARAMS.toml tables...}}; the signature is Ed25519 over the payload bytes exactly as stored.

Install (apply) under DATA_DIR/bundles/:
  1. verify: signature by the trusted key, terminal id, expiry, version above the installed one;
  2. write v<N>.json (temporary name, fsync, rename, fsync the directory);
  3. write the state file {"current": N, "previous": M} the same way: that rename is the commit point.
A crash before step 3's rename leaves the old state (and at most an unused v<N>.json); after it, the new one.
`rollback` makes the previous bundle current again (the same one-rename commit). POSTERM_BUNDLE_CRASH=STEP
SIGKILLs the process at a step (after_bundle_write, before_state_rename, after_state_rename) for tests.
Not yet: TR-31 key blocks (psec), waiting for settlement on batch-affecting changes, [provisioning] trust_key
in the configuration (the trusted key is given with --trust for now): docs/firmware_tools.md.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
import signal
import tomllib
from pathlib import Path

FORMAT = 1


class BundleError(ValueError):
    """A bundle refused: the message says why (signature, terminal, expiry, version, format)."""


def _crash(step: str) -> None:
    if os.environ.get("POSTERM_BUNDLE_CRASH") == step:
        os.kill(os.getpid(), signal.SIGKILL)


def keygen(prefix: Path) -> tuple[Path, Path]:
    """PREFIX.key (PEM PKCS#8 private key, mode 0600) and PREFIX.pub (the raw public key in hex)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    key = Ed25519PrivateKey.generate()
    private, public = prefix.with_suffix(".key"), prefix.with_suffix(".pub")
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    public.write_text(raw.hex().upper() + "\n")
    return private, public


def _private_key(path: Path):
    from cryptography.hazmat.primitives import serialization
    try:
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as e:
        raise BundleError(f"signing key {path}: {e}") from None


def _public_key(text: str):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    candidate = Path(text)
    value = candidate.read_text().strip() if candidate.exists() else text.strip()
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(value))
    except ValueError:
        raise BundleError(f"trust key {text!r}: not a 32-byte Ed25519 public key in hex (or a file holding one)") \
            from None


def build(params_path: Path, sign_key: Path, version: int, *, terminal_id: str = "*",
          expires: str | None = None) -> bytes:
    try:
        params = tomllib.loads(params_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise BundleError(f"{params_path}: {e}") from None
    if version < 1:
        raise BundleError(f"--version {version}: must be 1 or more")
    payload = json.dumps({"version": version, "terminal_id": terminal_id, "expires": expires, "params": params},
                         sort_keys=True, separators=(",", ":")).encode()
    signature = _private_key(sign_key).sign(payload)
    return json.dumps({"format": FORMAT, "payload": base64.b64encode(payload).decode(),
                       "signature": base64.b64encode(signature).decode()}, indent=1).encode() + b"\n"


def verify(blob: bytes, trust: str) -> dict:
    """The payload of a bundle whose signature the trusted key makes; BundleError otherwise."""
    from cryptography.exceptions import InvalidSignature
    try:
        doc = json.loads(blob)
        if doc.get("format") != FORMAT:
            raise BundleError(f"bundle format {doc.get('format')!r}: expected {FORMAT}")
        payload, signature = base64.b64decode(doc["payload"], validate=True), base64.b64decode(doc["signature"])
    except BundleError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BundleError("not a signed bundle (format, payload, signature)") from None
    try:
        _public_key(trust).verify(signature, payload)
    except InvalidSignature:
        raise BundleError("signature does not verify with the trusted key: tampered, or signed by another key") \
            from None
    return json.loads(payload)


class Installed:
    """DATA_DIR/bundles: the installed bundles and the state file naming the current and previous versions."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir / "bundles"
        self.state_path = self.dir / "state.json"

    def state(self) -> dict:
        try:
            return json.loads(self.state_path.read_text())
        except FileNotFoundError:
            return {"current": None, "previous": None}

    def current(self) -> dict | None:
        version = self.state()["current"]
        return None if version is None else json.loads((self.dir / f"v{version}.json").read_bytes())

    def _write(self, name: str, data: bytes) -> None:
        tmp = self.dir / f".{name}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if name == "state.json":
            _crash("before_state_rename")
        os.replace(tmp, self.dir / name)
        fd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def apply(self, blob: bytes, trust: str, terminal_id: str, today: dt.date | None = None) -> dict:
        payload = verify(blob, trust)
        version = payload.get("version")
        if payload.get("terminal_id") not in ("*", terminal_id):
            raise BundleError(f"bundle is for terminal {payload.get('terminal_id')}, this is {terminal_id}")
        expires = payload.get("expires")
        today = today or dt.date.today()
        if expires and dt.date.fromisoformat(expires) < today:
            raise BundleError(f"bundle expired on {expires}")
        state = self.state()
        if not isinstance(version, int) or (state["current"] is not None and version <= state["current"]):
            raise BundleError(f"bundle version {version} is not above the installed version {state['current']}")
        self.dir.mkdir(parents=True, exist_ok=True)
        self._write(f"v{version}.json", blob)
        _crash("after_bundle_write")
        self._write("state.json", json.dumps({"current": version, "previous": state["current"]}).encode())
        _crash("after_state_rename")
        return payload

    def rollback(self) -> int:
        state = self.state()
        if state["previous"] is None:
            raise BundleError("no previous bundle to roll back to")
        self._write("state.json", json.dumps({"current": state["previous"], "previous": None}).encode())
        return state["previous"]
