"""`posterm fw capk list`: the CA public keys the terminal would trust, one row per key, with its checksum
re-checked and its expiry judged against today.

A sale refuses a key file whose checksum does not match as a whole (terminal/emv/capk.py load_keys); this report
reads the same files without refusing them, so an operator sees which entry of an acquirer's extra file is wrong
instead of one error line.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from terminal.emv.capk import DATA_DIR, CaPublicKey, key_files, read_entries
from terminal.emv.errors import ConfigError
from terminal.i18n.text import _

_SHIPPED = {"scheme_production_capk.json": "production", "scheme_test_capk.json": "scheme test",
            "posterm_test_capk.json": "posterm test"}


def _source_name(path: Path) -> str:
    """'production', 'scheme test', 'posterm test' for the shipped files; the path for an extra file."""
    if path.parent == DATA_DIR and path.name in _SHIPPED:
        return _SHIPPED[path.name]
    return str(path)


def _row(key: CaPublicKey, source: str, today: date) -> dict:
    return {"rid": key.rid.hex().upper(), "index": f"{key.index:02X}", "scheme": key.scheme,
            "bits": len(key.modulus) * 8, "exponent": key.exponent.hex().upper(),
            "expiry": key.expiry.isoformat() if key.expiry else None, "expired": key.expired(today),
            "checksum": key.checksum.hex().upper(), "checksum_ok": key.computed_checksum() == key.checksum,
            "source": source, "origin": key.origin}


def capk_report(ca_keys: str, extra: str, today: date, bundle=None) -> dict:
    """{"ca_keys": SET, "keys": [row...], "errors": [line...]}: every key of every file the configuration names,
    and the [[ca_key]] tables of the installed parameter bundle (`bundle`: cfg.bundle, or None)."""
    rows: list[dict] = []
    errors: list[str] = []
    if bundle is not None:
        rows += [_row(key, f"bundle version {bundle.version}", today) for key in bundle.ca_keys]
    for path in key_files(ca_keys, extra):
        try:
            keys = read_entries(path)
        except ConfigError as e:
            errors.append(str(e))
            continue
        rows += [_row(key, _source_name(path), today) for key in keys]
    rows.sort(key=lambda r: (r["rid"], r["index"], r["source"]))
    return {"ca_keys": ca_keys, "extra_ca_keys": extra or None, "today": today.isoformat(), "keys": rows,
            "errors": errors}


def report_ok(report: dict) -> bool:
    """False when a file could not be read or a checksum does not match: a sale would refuse that file."""
    return not report["errors"] and all(row["checksum_ok"] for row in report["keys"])


def capk_lines(report: dict) -> list[str]:
    lines = [_("CA public keys: set {set}, {n} keys").format(set=report["ca_keys"], n=len(report["keys"]))]
    lines.append(f"{'RID':<10}  {'IDX':<3}  {'SCHEME':<20} {'BITS':>4}  {'EXPIRY':<20}  {'CHECKSUM':<8}  SOURCE")
    for row in report["keys"]:
        expiry = row["expiry"] or "-"
        if row["expired"]:
            expiry += " " + _("(expired)")
        checksum = _("ok") if row["checksum_ok"] else _("MISMATCH")
        lines.append(f"{row['rid']:<10}  {row['index']:<3}  {row['scheme'][:20]:<20} {row['bits']:>4}  "
                     f"{expiry:<20}  {checksum:<8}  {row['source']}")
    lines += [_("error: {message}").format(message=e) for e in report["errors"]]
    return lines
