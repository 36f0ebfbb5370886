"""Signed parameter bundles: signing, verification, all-or-nothing install, waiting for settlement, rollback.

A bundle is one JSON file: {"format": 1, "payload": BASE64, "signature": BASE64}. The payload is the canonical
JSON (sorted keys, no spaces) of {"version": N, "terminal_id": ID or "*", "expires": ISO date or null,
"params": {...the PARAMS.toml tables...}}; the signature is Ed25519 over the payload bytes exactly as stored.

Install (apply) under DATA_DIR/bundles/:
  1. verify: signature by the trusted key, terminal id, expiry, version above the installed one;
  2. write v<N>.json (temporary name, fsync, rename, fsync the directory);
  3. write the state file {"current": N, "previous": M} the same way: that rename is the commit point.
A crash before step 3's rename leaves the old state (and at most an unused v<N>.json); after it, the new one.
`rollback` makes the previous bundle current again (the same one-rename commit). A bundle that changes the
batch's identity while the open batch holds transactions is written as `pending`; `posterm settle` promotes it
after the batch closes (a new journal first when the terminal id changes: `promote_pending`).
POSTERM_BUNDLE_CRASH=STEP SIGKILLs the process at a step (after_bundle_write, before_state_rename,
after_state_rename, after_new_journal) for tests. The parameters: firmware_tools/bundle_params.py; the keys
(TR-31 blocks, psec): firmware_tools/bundle_keys.py; the trusted key: [provisioning] trust_key or --trust.
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
    from firmware_tools.bundle_params import ParamsError, check_params
    try:
        check_params(params)            # a TMS learns of a bad table at build time, not from each terminal
    except ParamsError as e:
        raise BundleError(f"{params_path}: {e}") from None
    payload = json.dumps({"version": version, "terminal_id": terminal_id, "expires": expires, "params": params},
                         sort_keys=True, separators=(",", ":")).encode()
    signature = _private_key(sign_key).sign(payload)
    return json.dumps({"format": FORMAT, "payload": base64.b64encode(payload).decode(),
                       "signature": base64.b64encode(signature).decode()}, indent=1).encode() + b"\n"


def shown(params: dict) -> dict:
    """The parameters for `fw bundle show`: key blocks by their header and length only."""
    out = dict(params)
    if isinstance(out.get("keys"), dict):
        out["keys"] = {name: f"{block[:16]}... (TR-31 key block, {len(block)} characters)"
                       for name, block in out["keys"].items() if isinstance(block, str)}
    return out


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
    """DATA_DIR/bundles: the installed bundles and the state file naming the current, previous and pending
    versions. v<N>.json is the signed bundle exactly as received; v<N>.kcv.json the check values of the keys it
    delivered (never a clear key)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.dir = data_dir / "bundles"
        self.state_path = self.dir / "state.json"

    def state(self) -> dict:
        try:
            state = json.loads(self.state_path.read_text())
        except (FileNotFoundError, NotADirectoryError):   # nothing installed (a bad data dir is reported by name)
            state = {}
        return {"current": state.get("current"), "previous": state.get("previous"), "pending": state.get("pending")}

    def payload(self, version: int) -> dict:
        doc = json.loads((self.dir / f"v{version}.json").read_bytes())
        return json.loads(base64.b64decode(doc["payload"]))

    def current(self) -> dict | None:
        version = self.state()["current"]
        return None if version is None else json.loads((self.dir / f"v{version}.json").read_bytes())

    def _kcv(self, version: int) -> dict:
        try:
            return json.loads((self.dir / f"v{version}.kcv.json").read_text())
        except FileNotFoundError:
            return {}

    def config_for(self, base, version: int | None):
        """`base` (the config file's parameters) with bundle `version` installed over it; `base` for None."""
        from firmware_tools.bundle_params import effective
        if version is None:
            return base
        return effective(base, self.payload(version), base.keys.kbpk, self._kcv(version))

    def configure(self, base):
        """The configuration sales run on: the current bundle over the config file. Finishes a promotion that a
        crash interrupted after the new journal was started (its terminal id is the pending bundle's)."""
        from terminal.config import ConfigError
        try:
            state = self.state()
            if state["pending"] is not None:
                journal_tid = self._journal_terminal()
                if journal_tid not in (None, self._terminal(base, state["current"])) \
                        and journal_tid == self._terminal(base, state["pending"]):
                    self._commit_promotion(state)
                else:
                    self._promote_if_batch_empty(base)
                state = self.state()
            return self.config_for(base, state["current"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ConfigError(f"installed bundle in {self.dir}: unreadable ({e}); move {self.state_path.name} "
                              "aside to run on the config file alone, then apply a new bundle") from None

    def _promote_if_batch_empty(self, base) -> None:
        """A bundle still pending while the open batch is empty (the batch closed in a process that did not
        promote it: `posterm run`'s own settlement, or a crash before the commit): promote it now, under the
        data dir's lock, which is taken only if free (a running terminal keeps its parameters until restarted)."""
        import fcntl
        if not self.data_dir.is_dir():
            return
        with open(self.data_dir / "posterm.lock", "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return
            if self._open_batch_empty():
                try:
                    self.promote_pending(base)
                except BundleError:
                    pass        # e.g. the old journal still owes the host: it stays pending, said by health

    def _open_batch_empty(self) -> bool:
        from terminal.store import Journal, StoreError
        path = self.data_dir / "journal.sqlite3"
        if not path.exists():
            return True
        try:
            journal = Journal(path)
        except StoreError:
            return False        # not readable as a journal: the command's own open reports it
        try:
            return not journal.batch_txns(journal.current_batch())
        finally:
            journal.close()

    def _terminal(self, base, version: int | None) -> str:
        return self.config_for(base, version).terminal.id

    def _journal_terminal(self) -> str | None:
        from terminal.store.identity import IdentityError, path_beside, read
        try:
            ident = read(path_beside(self.data_dir / "journal.sqlite3"))
        except IdentityError:
            return None
        return ident.terminal_id if ident else None

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

    def _write_state(self, current, previous, pending) -> None:
        self._write("state.json", json.dumps({"current": current, "previous": previous, "pending": pending}).encode())

    def apply(self, blob: bytes, trust: str, base, *, batch_open: bool, today: dt.date | None = None) -> dict:
        """Verify and install; returns {"version", "pending", "changes"}. `base` is the config file's parameters
        (a bundle replaces the previous bundle whole, it does not add to it). A bundle that changes the batch's
        identity (terminal id, merchant id, currency, host address) while the open batch holds transactions is
        installed as pending: `posterm settle` makes it current once the batch has closed."""
        from firmware_tools.bundle_keys import KeyBlockError
        from firmware_tools.bundle_params import ParamsError, batch_changes, check_params, effective
        from terminal.config import ConfigError
        payload = verify(blob, trust)
        version = payload.get("version")
        state = self.state()
        if state["pending"] is not None and not batch_open:
            self.promote_pending(base)          # an earlier apply that a crash interrupted: finish it first
            state = self.state()
        now_cfg = self.config_for(base, state["current"])
        if payload.get("terminal_id") not in ("*", now_cfg.terminal.id):
            raise BundleError(f"bundle is for terminal {payload.get('terminal_id')}, this is {now_cfg.terminal.id}")
        expires = payload.get("expires")
        today = today or dt.date.today()
        if expires and dt.date.fromisoformat(expires) < today:
            raise BundleError(f"bundle expired on {expires}")
        highest = max(v for v in (state["current"], state["pending"], 0) if v is not None)
        if not isinstance(version, int) or version <= highest:
            raise BundleError(f"bundle version {version} is not above the installed version {highest or None}")
        try:
            check_params(payload.get("params"))
            new_cfg = effective(base, payload, base.keys.kbpk)
        except (ParamsError, KeyBlockError, ConfigError) as e:
            raise BundleError(str(e)) from None
        changes = batch_changes(now_cfg, new_cfg)
        pending = bool(changes) and batch_open
        new_terminal = new_cfg.terminal.id != now_cfg.terminal.id
        self.dir.mkdir(parents=True, exist_ok=True)
        self._write(f"v{version}.json", blob)
        self._write(f"v{version}.kcv.json", json.dumps(new_cfg.bundle.kcv, sort_keys=True).encode())
        _crash("after_bundle_write")
        if pending or new_terminal:
            # a new terminal id needs a new journal even with an empty batch: pending first, then promoted
            self._write_state(state["current"], state["previous"], version)
        else:
            self._write_state(version, state["current"], None)
        _crash("after_state_rename")
        if new_terminal and not pending:
            self.promote_pending(base)
        return {"version": version, "pending": pending, "changes": changes}

    def promote_pending(self, base) -> dict | None:
        """After a settlement closed the batch: the pending bundle becomes current. When it changes the terminal
        id, a new journal is started for the new id first (the old one kept aside, STAN and batch continuing):
        a journal belongs to one terminal. Returns {"version", "changes"} or None when nothing was pending."""
        from firmware_tools.bundle_params import batch_changes
        from terminal.store.upkeep import start_new
        state = self.state()
        if state["pending"] is None:
            return None
        old, new = self.config_for(base, state["current"]), self.config_for(base, state["pending"])
        if new.terminal.id != old.terminal.id:
            from terminal.store import StoreError
            try:
                start_new(self.data_dir / "journal.sqlite3", new.terminal.id)
            except StoreError as e:
                raise BundleError(f"terminal id {old.terminal.id} -> {new.terminal.id} needs a new journal: {e}") \
                    from None
            _crash("after_new_journal")
        self._commit_promotion(state)
        _crash("after_state_rename")
        return {"version": state["pending"], "changes": batch_changes(old, new)}

    def _commit_promotion(self, state: dict) -> None:
        self._write_state(state["pending"], state["current"], None)

    def rollback(self, base, *, batch_open: bool) -> int:
        """The previous bundle current again (a pending one is dropped). Refused while it would change the
        batch's identity under an open batch (settle first), and for a change of terminal id (a journal belongs
        to one terminal: that takes a bundle, which starts the new journal)."""
        from firmware_tools.bundle_params import batch_changes
        state = self.state()
        if state["previous"] is None:
            raise BundleError("no previous bundle to roll back to")
        now, then = self.config_for(base, state["current"]), self.config_for(base, state["previous"])
        if now.terminal.id != then.terminal.id:
            raise BundleError(f"rolling back would change the terminal id {now.terminal.id} -> {then.terminal.id}:"
                              " apply a new bundle for that instead")
        changes = batch_changes(now, then)
        if changes and batch_open:
            raise BundleError(f"rolling back would change {'; '.join(changes)} under the open batch: settle first")
        self._write_state(state["previous"], None, None)
        return state["previous"]
