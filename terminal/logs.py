"""Logging for the terminal and the host simulator: stdlib logging, with one filter that keeps card data out.

    setup(verbosity=1, log_file="/var/log/posterm.log", trace_iso=True)

Every record goes through `CardDataFilter` before any handler sees it: a PAN (13-19 digits passing Luhn) is
masked first 6 / last 4, in ASCII and in hex; track data (`;PAN=...?`, `%B...^...?`, `PAN=YYMM...`) is dropped
down to the masked PAN; long hex strings that could be keys, PIN blocks or cryptograms are cut to their length.
`mask_text` is the same scrubber, used by crash reports. `iso_dump` renders one ISO 8583 message field by field
for `--trace-iso`, with fields 2, 14, 35, 52 and the sensitive tags of 55 masked.
"""
from __future__ import annotations

import logging
import re

from terminal.card.pan import luhn_ok

ISO_LOGGER = "posterm.iso"

# track 2 ('=' separator), with or without sentinels; track 1 ('^' separators)
_TRACK2 = re.compile(r";?([0-9]{12,19})[=D][0-9]{4,}[0-9=]*\??")
_TRACK1 = re.compile(r"%?B([0-9]{12,19})\^[^^]{0,26}\^[0-9A-Za-z ]*\??")
# a run of digits or hex: a PAN (ASCII or BCD), a key, a PIN block, hex of ASCII digits...
_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{13,}(?![0-9A-Za-z])")


def _mask(pan: str) -> str:
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]


def _has_pan(s: str) -> bool:
    for n in range(19, 12, -1):
        for i in range(0, len(s) - n + 1):
            run = s[i:i + n]
            if run.isdigit() and luhn_ok(run):
                return True
    return False


def _mask_run(m: re.Match) -> str:
    s = m.group(0)
    if s.isdigit() and len(s) <= 19:
        return _mask(s) if luhn_ok(s) else s
    if len(s) >= 32 or (len(s) >= 16 and _has_pan(s)):
        return f"<{len(s) // 2} bytes hidden>"
    return s


def mask_text(text: str) -> str:
    """`text` with every PAN masked and track data, keys and PIN blocks removed."""
    text = _TRACK1.sub(lambda m: f"<track 1 of {_mask(m.group(1))}>", text)
    text = _TRACK2.sub(lambda m: f"<track 2 of {_mask(m.group(1))}>", text)
    return _RUN.sub(_mask_run, text)


class CardDataFilter(logging.Filter):
    """Rewrites each record's message (with its arguments) through `mask_text`; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:   # a bad format string must not lose the record
            message = str(record.msg)
        record.msg, record.args = mask_text(message), None
        if record.exc_info:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


def setup(verbosity: int = 0, log_file: str | None = None, trace_iso: bool = False, *,
          stream=None, fmt: str = _FORMAT) -> None:
    """Handlers on the root logger: stderr at WARNING (INFO with -v, DEBUG with -vv), and the log file, if any,
    at INFO (DEBUG with -vv). `trace_iso` lets the ISO 8583 dumps through to every handler."""
    import sys
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handlers: list[logging.Handler] = []
    console = logging.StreamHandler(stream or sys.stderr)
    console.setLevel(logging.DEBUG if trace_iso and verbosity > 0 else level)
    handlers.append(console)
    if log_file:
        try:
            fh = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as e:
            from terminal.config import ConfigError
            raise ConfigError(f"--log-file {log_file}: cannot open: {e.strerror}") from None
        fh.setLevel(logging.DEBUG if trace_iso or verbosity > 1 else logging.INFO)
        handlers.append(fh)
    masking = CardDataFilter()
    for h in handlers:
        h.addFilter(masking)
        h.setFormatter(logging.Formatter(fmt))
        root.addHandler(h)
    root.setLevel(logging.DEBUG if (trace_iso or verbosity > 1) else logging.INFO if (verbosity or log_file)
                  else logging.WARNING)
    iso = logging.getLogger(ISO_LOGGER)
    iso.setLevel(logging.DEBUG if trace_iso else logging.WARNING)
    if trace_iso and not log_file and verbosity <= 0:
        console.setLevel(logging.DEBUG)   # --trace-iso alone: the dumps go to stderr


# ---- ISO 8583 dumps ---------------------------------------------------------------------------------------------

_SENSITIVE_TAGS = {0x56, 0x57, 0x5A, 0x5F20, 0x5F24, 0x99, 0x9F0B, 0x9F1F, 0x9F20, 0x9F6B}


def _field55(value: bytes) -> str:
    from drivers.emvspec.ber_tlv import parse, tag_hex
    try:
        objects = parse(value)
    except Exception:
        return f"<{len(value)} bytes, not BER-TLV>"
    parts = []
    for t in objects:
        shown = f"<{len(t.value)} bytes hidden>" if t.tag in _SENSITIVE_TAGS else t.value.hex().upper()
        parts.append(f"{tag_hex(t.tag)}={shown}")
    return " ".join(parts)


def iso_dump(direction: str, raw: bytes) -> str:
    """One message, one line per field, sensitive fields masked. Never raises: an undecodable message is shown
    by its length only."""
    from terminal.iso8583 import decode
    from terminal.iso8583.dialect import FIELDS
    try:
        msg = decode(raw, None, verify_mac=False)
    except Exception as e:
        return f"{direction} {len(raw)} bytes, not decodable: {mask_text(str(e))}"
    lines = [f"{direction} MTI {msg.mti} ({len(raw)} bytes)"]
    for n in sorted(msg.fields):
        v = msg.fields[n]
        name = FIELDS[n].name if n in FIELDS else "?"
        if n == 2:
            shown = _mask(str(v)) if len(str(v)) > 10 else "*" * len(str(v))
        elif n == 35:
            pan = str(v).replace("D", "=").split("=")[0]
            shown = f"<track 2 of {_mask(pan) if len(pan) > 10 else '*' * len(pan)}, hidden>"
        elif n == 14:
            shown = "****"
        elif n in (52, 64, 128):
            shown = f"<{len(v)} bytes hidden>" if n == 52 else (v.hex().upper() if isinstance(v, bytes) else str(v))
        elif n == 55 and isinstance(v, bytes):
            shown = _field55(v)
        elif isinstance(v, bytes):
            shown = v.hex().upper()
        else:
            shown = str(v)
        lines.append(f"  {n:3d} {name:28} {mask_text(shown) if n not in (2, 35) else shown}")
    return "\n".join(lines)


def trace(direction: str, raw: bytes) -> None:
    log = logging.getLogger(ISO_LOGGER)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("%s", iso_dump(direction, raw))
