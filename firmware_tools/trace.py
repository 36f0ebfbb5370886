"""APDU traces: record a card session (masked), read one back, print it decoded tag by tag.

File format 1 (docs/firmware_tools.md), UTF-8 text, one record per line, fields separated by single spaces:

    # posterm apdu trace 1                                   first line, always
    # started 2026-12-01T10:30:00Z                           comments start with '#'
    ATR 3B6800000073C84000009000 protocol=T=0               the card as the reader presented it
    APDU seq=1 t=0.412 dur=0.085 name=SELECT C=00A404000E315041592E5359532E444446303100 R=6F...9000 masked=-

t is milliseconds since the trace started, dur the milliseconds the exchange took (the reader's transmit,
with its 61xx / 6Cxx handling: one command and one response per line). name is the kernel's name for the
command with spaces as '_'. C and R are the command and response APDUs in hex, R ending with SW1 SW2.
masked lists the data objects masked in that line (tags in hex, or PIN for a VERIFY's PIN block), '-' if none.

Masking is in place: the masked object keeps its tag, its length and its encoding, so the line is still valid
BER-TLV and a replay goes through the same kernel steps. The full PAN is never written:
- 5A (PAN): first 6 and last 4 digits kept, the digits between are 0 except one chosen to keep the Luhn check
  valid; F padding kept.
- 57 / 9F6B (track 2 equivalent): the PAN part masked as 5A, the separator D, expiry and service code kept,
  discretionary data (where CVV / iCVV live) set to 0 digits.
- 56 (track 1): the PAN masked as 5A, the name as X, the discretionary data as 0; separators kept.
- 5F20 (cardholder name): every character X. 9F1F (track 1 discretionary): every character 0.
  9F20 (track 2 discretionary): every digit 0.
- VERIFY (INS 20): every byte of the PIN block FF.
A response that is not valid BER-TLV (a broken card) is scanned for every sensitive tag followed by a length
that fits, and each such place is masked the same way.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

from terminal.card.pan import luhn_ok

FORMAT = "# posterm apdu trace 1"
SENSITIVE = (0x5A, 0x57, 0x56, 0x9F6B, 0x5F20, 0x9F1F, 0x9F20)
INS_VERIFY = 0x20


class TraceError(ValueError):
    """A trace file that is not format 1: the message names the line."""


# ---- masking ----------------------------------------------------------------------------------------------------
def mask_pan_digits(pan: str) -> str:
    """First 6 and last 4 kept, the middle zeros with one digit keeping Luhn valid (all zeros if too short)."""
    if len(pan) < 12 or not pan.isdigit():
        return "0" * len(pan)
    middle = len(pan) - 10
    for fix in "0123456789":
        candidate = pan[:6] + "0" * (middle - 1) + fix + pan[-4:]
        if luhn_ok(candidate):
            return candidate
    return pan[:6] + "0" * middle + pan[-4:]  # unreachable: one digit covers every residue


def _mask_cn(value: bytes, keep_pan: bool) -> bytes:
    digits = value.hex().upper()
    body = digits.rstrip("F")
    masked = mask_pan_digits(body) if keep_pan else "0" * len(body)
    return bytes.fromhex(masked + digits[len(body):])


def _mask_track2(value: bytes) -> bytes:
    digits = value.hex().upper()
    pan, sep, rest = digits.partition("D")
    if not sep:
        return _mask_cn(value, False)
    body = rest.rstrip("F")
    kept = body[:7]                                  # YYMM expiry, 3-digit service code
    out = mask_pan_digits(pan) + "D" + kept + "0" * (len(body) - len(kept)) + rest[len(body):]
    return bytes.fromhex(out)


def _mask_track1(value: bytes) -> bytes:
    text = value.decode("latin-1")
    parts = text.split("^")
    if len(parts) >= 3 and parts[0][:1].isalpha():
        parts[0] = parts[0][0] + mask_pan_digits(parts[0][1:])
        parts[1] = "X" * len(parts[1])
        tail = "^".join(parts[2:])
        parts = parts[:2] + [tail[:7] + "0" * (len(tail) - 7) if len(tail) > 7 else tail]
        return "^".join(parts).encode("latin-1")
    return "".join("^" if ch == "^" else "0" for ch in text).encode("latin-1")


def mask_value(tag: int, value: bytes) -> bytes:
    if tag == 0x5A:
        return _mask_cn(value, True)
    if tag in (0x57, 0x9F6B):
        return _mask_track2(value)
    if tag == 0x56:
        return _mask_track1(value)
    if tag == 0x5F20:
        return b"X" * len(value)
    if tag == 0x9F1F:
        return b"0" * len(value)
    if tag == 0x9F20:
        return _mask_cn(value, False)
    return value


def _read_header(buf: bytes | bytearray, pos: int, end: int) -> tuple[int, int, int] | None:
    """(tag, value start, value end) of the object at pos, or None when it does not parse."""
    if pos >= end:
        return None
    tag = buf[pos]
    pos += 1
    if tag & 0x1F == 0x1F:
        while True:
            if pos >= end:
                return None
            tag = tag << 8 | buf[pos]
            pos += 1
            if not buf[pos - 1] & 0x80:
                break
    if pos >= end:
        return None
    length = buf[pos]
    pos += 1
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > end:
            return None
        length = int.from_bytes(buf[pos:pos + count], "big")
        pos += count
    if pos + length > end:
        return None
    return tag, pos, pos + length


def _first_byte(tag: int) -> int:
    while tag > 0xFF:
        tag >>= 8
    return tag


def _mask_tlv(buf: bytearray, start: int, end: int, found: list[str]) -> bool:
    """Mask sensitive primitives in buf[start:end] in place; False when it is not BER-TLV."""
    pos = start
    while pos < end:
        if buf[pos] in (0x00, 0xFF):
            pos += 1
            continue
        header = _read_header(buf, pos, end)
        if header is None:
            return False
        tag, vstart, vend = header
        if _first_byte(tag) & 0x20:
            _mask_tlv(buf, vstart, vend, found)
        elif tag in SENSITIVE:
            buf[vstart:vend] = mask_value(tag, bytes(buf[vstart:vend]))
            found.append(f"{tag:X}")
        pos = vend
    return True


def mask_response(response: bytes) -> tuple[bytes, list[str]]:
    """The response with its sensitive data objects masked in place, and the tags masked."""
    buf = bytearray(response)
    found: list[str] = []
    if len(buf) > 2 and not _mask_tlv(buf, 0, len(buf) - 2, found):
        _mask_by_scan(buf, len(buf) - 2, found)
    return bytes(buf), found


def _mask_by_scan(buf: bytearray, end: int, found: list[str]) -> None:
    """Data that is not BER-TLV (a broken card) may still hold a PAN: every place where a sensitive tag and a
    length that fits appear is masked as that object (over-masking a coincidence costs nothing)."""
    for tag in SENSITIVE:
        encoded = tag.to_bytes(2 if tag > 0xFF else 1, "big")
        pos = buf.find(encoded, 0, end)
        while pos != -1:
            vstart = pos + len(encoded) + 1
            if vstart <= end and buf[vstart - 1] < 0x80 and vstart + buf[vstart - 1] <= end:
                vend = vstart + buf[vstart - 1]
                buf[vstart:vend] = mask_value(tag, bytes(buf[vstart:vend]))
                found.append(f"{tag:X}")
            pos = buf.find(encoded, pos + 1, end)


def mask_command(command: bytes) -> tuple[bytes, list[str]]:
    """A VERIFY's PIN block set to FF bytes (length kept); other commands carry no cardholder data."""
    buf = bytearray(command)
    if len(buf) > 5 and buf[1] == INS_VERIFY:
        lc = buf[4]
        buf[5:5 + lc] = b"\xFF" * len(buf[5:5 + lc])
        return bytes(buf), ["PIN"]
    return bytes(buf), []


# ---- recording --------------------------------------------------------------------------------------------------
class TraceWriter:
    """The Driver's tracer (name, command, response) writing format 1, one flushed line per APDU, so a trace
    survives a crash of the sale. `watch(source)` wraps a card source to note the ATR and time each exchange."""

    def __init__(self, path: str | Path, clock=time.perf_counter) -> None:
        self.path = Path(path)
        self._clock = clock
        self._file = open(self.path, "w", encoding="utf-8")
        self._t0 = clock()
        self._seq = 0
        self._last_start = self._last_duration = None
        started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        self._write(f"{FORMAT}\n# started {started}\n")

    def _write(self, text: str) -> None:
        self._file.write(text)
        self._file.flush()

    def card(self, atr: bytes, protocol: str) -> None:
        self._write(f"ATR {bytes(atr).hex().upper()} protocol={protocol}\n")

    def __call__(self, name: str, command: bytes, response: bytes) -> None:
        self._seq += 1
        now = self._clock()
        start = self._last_start if self._last_start is not None else now
        duration = self._last_duration if self._last_duration is not None else 0.0
        self._last_start = self._last_duration = None
        cmd, masked_c = mask_command(bytes(command))
        resp, masked_r = mask_response(bytes(response))
        masked = ",".join(masked_c + masked_r) or "-"
        label = "_".join(str(name).split()) or "-"
        self._write(f"APDU seq={self._seq} t={(start - self._t0) * 1000:.3f} dur={duration * 1000:.3f} "
                    f"name={label} C={cmd.hex().upper()} R={resp.hex().upper()} masked={masked}\n")

    def watch(self, source):
        return _TracedSource(source, self)

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()


class _TracedSource:
    """A card source that tells the writer its card's ATR and how long each exchange took."""

    def __init__(self, source, writer: TraceWriter) -> None:
        self._source, self._writer = source, writer

    def wait(self, sequence_counter):
        event = self._source.wait(sequence_counter)
        channel = getattr(self._source, "channel", None)
        if channel is not None:
            self._writer.card(channel.atr, channel.protocol)
        return event

    def transmit(self, apdu: bytes) -> bytes:
        start = self._writer._clock()
        try:
            return self._source.transmit(apdu)
        finally:
            self._writer._last_start = start
            self._writer._last_duration = self._writer._clock() - start

    def close(self) -> None:
        self._source.close()


# ---- reading ----------------------------------------------------------------------------------------------------
@dataclass
class Exchange:
    seq: int
    t_ms: float
    dur_ms: float
    name: str
    command: bytes
    response: bytes
    masked: list[str]


@dataclass
class Trace:
    atr: bytes | None = None
    protocol: str | None = None
    comments: list[str] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)


def _fields(line: str, number: int) -> dict[str, str]:
    out = {}
    for token in line.split()[1:]:
        key, sep, value = token.partition("=")
        if not sep:
            raise TraceError(f"line {number}: {token!r} is not key=value")
        out[key] = value
    return out


def _hex(value: str, what: str, number: int) -> bytes:
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise TraceError(f"line {number}: {what} is not hex") from None


def read_trace(path: str | Path) -> Trace:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise TraceError(f"trace {path}: {e.strerror or e}") from None
    if not lines or lines[0].strip() != FORMAT:
        raise TraceError(f"trace {path}: line 1 is not {FORMAT!r}")
    trace = Trace()
    for number, line in enumerate(lines[1:], start=2):
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            trace.comments.append(line[1:].strip())
        elif line.startswith("ATR "):
            parts = line.split()
            trace.atr = _hex(parts[1], "the ATR", number)
            trace.protocol = _fields(" ".join(parts[1:]), number).get("protocol")
        elif line.startswith("APDU "):
            f = _fields(line, number)
            missing = {"seq", "t", "dur", "name", "C", "R"} - set(f)
            if missing:
                raise TraceError(f"line {number}: missing {', '.join(sorted(missing))}")
            try:
                seq, t_ms, dur_ms = int(f["seq"]), float(f["t"]), float(f["dur"])
            except ValueError:
                raise TraceError(f"line {number}: seq, t and dur must be numbers") from None
            masked = [] if f.get("masked", "-") == "-" else f["masked"].split(",")
            trace.exchanges.append(Exchange(seq, t_ms, dur_ms, f["name"].replace("_", " "),
                                            _hex(f["C"], "C", number), _hex(f["R"], "R", number), masked))
        else:
            raise TraceError(f"line {number}: expected ATR, APDU or a # comment")
    return trace
