"""The terminal's health checks for `posterm health`: each one is {name, status ok|warn|fail, message, ...}.

The host echo is terminal/cli/cmd_echo.py's (it goes through the sale core's one exchange path, which this
layer does not import); everything else is here. A check never raises: what it could not look at is its
message.
"""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

OK, WARN, FAIL = "ok", "warn", "fail"
DISK_WARN_FACTOR = 64       # warn when less than 64 reserves are free (16 MiB with the 256 KiB reserve)
SAF_OLDEST_WARN_H = 24
BATCH_AGE_WARN_H = 24


def check(name: str, status: str, message: str, **extra) -> dict:
    return {"name": name, "status": status, "message": message, **extra}


def pcsc(reader_spec: str) -> dict:
    """pcscd running and its readers; a fail only when the configured reader is a PC/SC one."""
    from drivers.errors import NoDaemonError, ReaderError
    needed = reader_spec.startswith(("pcsc", "replay"))
    try:
        from drivers.pcsc.readers import reader_statuses
        statuses = reader_statuses()
    except NoDaemonError as e:
        return check("pcsc", FAIL if needed else WARN, f"pcscd not running ({e})")
    except (ReaderError, ImportError) as e:
        return check("pcsc", FAIL if needed else WARN, f"PC/SC not usable: {e}")
    if not statuses:
        return check("pcsc", FAIL if needed else WARN, "pcscd running, no reader connected")
    cards = sum(s.card_present for s in statuses)
    return check("pcsc", OK, f"pcscd running, {len(statuses)} reader(s), {cards} with a card",
                 readers=[s.name for s in statuses])


def serial_reader(reader_spec: str) -> dict | None:
    """The configured serial reader answering its communication test (MSR605); None when none is configured."""
    if not reader_spec.startswith("serial:"):
        return None
    from drivers.serial_msr import parse_reader_spec
    from drivers.errors import ReaderError
    try:
        spec = parse_reader_spec(reader_spec.partition(":")[2])
    except ValueError as e:
        return check("serial_reader", FAIL, str(e))
    if spec.protocol != "msr605":
        return check("serial_reader", OK if Path(spec.device).exists() else FAIL,
                     f"{spec.device} ({spec.protocol}: no status command; the device "
                     f"{'exists' if Path(spec.device).exists() else 'is missing'})")
    from firmware_tools.msr_diag import query
    try:
        status = query(spec.device, spec.baud)
    except (ReaderError, OSError) as e:
        return check("serial_reader", FAIL, str(e))
    good = status["communication"] == "ok"
    return check("serial_reader", OK if good else FAIL, f"{spec.device}: communication test {status['communication']}")


def disk(data_dir: Path) -> dict:
    try:
        from terminal.store.reserve import SIZE as reserve
    except ImportError:
        reserve = 256 * 1024
    target = data_dir if data_dir.exists() else data_dir.parent
    try:
        free = shutil.disk_usage(target).free
    except OSError as e:
        return check("disk", FAIL, f"{data_dir}: {e.strerror}")
    status = FAIL if free < reserve else WARN if free < reserve * DISK_WARN_FACTOR else OK
    return check("disk", status, f"{free // 1024} KiB free at {target} (journal reserve {reserve // 1024} KiB)",
                 free_bytes=free)


def saf_backlog(journal, now: dt.datetime) -> dict:
    pending = journal.saf_pending()
    if not pending:
        return check("saf", OK, "nothing waiting for the host", pending=0)
    oldest = min(e.created_at for e in pending)
    age_h = _age_hours(oldest, now)
    status = WARN if age_h is not None and age_h > SAF_OLDEST_WARN_H else OK
    return check("saf", status, f"{len(pending)} message(s) waiting for the host, oldest from {oldest[:19]}",
                 pending=len(pending), oldest=oldest)


def open_batch(journal, now: dt.datetime) -> dict:
    batch = journal.current_batch()
    txns = journal.batch_txns(batch)
    if not txns:
        return check("batch", OK, f"batch {batch:06d} empty", batch=batch)
    since = txns[0].created_at
    age_h = _age_hours(since, now)
    status = WARN if age_h is not None and age_h > BATCH_AGE_WARN_H else OK
    return check("batch", status, f"batch {batch:06d}: {len(txns)} transaction(s), open since {since[:19]}"
                 + (f" ({age_h:.0f} h: settle)" if status == WARN else ""), batch=batch)


def journal_integrity(path: Path) -> dict:
    try:
        from terminal.store.upkeep import check as journal_check
        good, bad = journal_check(path)
    except Exception as e:   # a health report names what it could not check, it does not crash
        return check("journal", FAIL, f"{path}: cannot check: {e}")
    if bad:
        return check("journal", FAIL, "; ".join(bad[:3]))
    return check("journal", OK, "; ".join(good[:2]) or "ok")


def key_check_values(cfg) -> dict:
    from drivers.emvspec.crypto import key_check_value
    values = {"mac_key": key_check_value(cfg.keys.mac_key), "data_key": key_check_value(cfg.keys.data_key)}
    return check("keys", OK, ", ".join(f"{k} KCV {v}" for k, v in values.items()), kcv=values)


def configuration(cfg, data_dir: Path) -> dict:
    from firmware_tools.bundle import Installed
    source = getattr(cfg, "source", None) or "built-in defaults"
    try:
        state = Installed(data_dir).state()
    except (OSError, ValueError) as e:
        return check("config", FAIL, f"parameter bundle state unreadable: {e}", bundle_version=None)
    version, pending = state["current"], state["pending"]
    bundle = f"parameter bundle version {version}" if version is not None else "parameter bundle: none installed"
    if pending is not None:
        bundle += f"; version {pending} waits for the batch to settle"
    return check("config", OK, f"terminal {cfg.terminal.id} merchant {cfg.terminal.merchant_id} from {source}; "
                 f"{bundle}", bundle_version=version, bundle_pending=pending)


def _age_hours(stamp: str, now: dt.datetime) -> float | None:
    try:
        when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return (now - when).total_seconds() / 3600
