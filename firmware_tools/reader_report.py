"""What a PC/SC reader says about itself: vendor, model, firmware, serial, PIN-pad features, and its card's ATR.

Sources, each optional (a reader that reports nothing gets a note, never an error):
- SCardGetAttrib: vendor name, IFD type, IFD version (firmware), IFD serial number, channel id.
- SCardControl(CM_IOCTL_GET_FEATURE_REQUEST) (PC/SC part 10): the features the reader offers (secure PIN
  entry, display, ...), and through FEATURE_GET_TLV_PROPERTIES its firmware id, USB vendor/product id.
A reader with no card is reached by a direct connection (SCARD_SHARE_DIRECT), which pcsc-lite allows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from drivers.errors import ReaderError
from drivers.pcsc.context import Context, scard
from drivers.pcsc.readers import ReaderStatus, reader_statuses
from firmware_tools.atr import describe_atr

CM_IOCTL_GET_FEATURE_REQUEST = 3400  # function number; the code is SCARD_CTL_CODE(3400)
FEATURE_GET_TLV_PROPERTIES = 0x12
# PC/SC part 10 v2.02.09, section 2.3: feature tags.
FEATURE_NAMES = {
    0x01: "VERIFY_PIN_START", 0x02: "VERIFY_PIN_FINISH", 0x03: "MODIFY_PIN_START", 0x04: "MODIFY_PIN_FINISH",
    0x05: "GET_KEY_PRESSED", 0x06: "VERIFY_PIN_DIRECT", 0x07: "MODIFY_PIN_DIRECT", 0x08: "MCT_READER_DIRECT",
    0x09: "MCT_UNIVERSAL", 0x0A: "IFD_PIN_PROPERTIES", 0x0B: "ABORT", 0x0C: "SET_SPE_MESSAGE",
    0x0D: "VERIFY_PIN_DIRECT_APP_ID", 0x0E: "MODIFY_PIN_DIRECT_APP_ID", 0x0F: "WRITE_DISPLAY", 0x10: "GET_KEY",
    0x11: "IFD_DISPLAY_PROPERTIES", 0x12: "GET_TLV_PROPERTIES", 0x13: "CCID_ESC_COMMAND", 0x20: "EXECUTE_PACE",
}
# PC/SC part 10 section 2.6.14: GET_TLV_PROPERTIES tags worth showing (name, is text).
TLV_PROPERTIES = {0x08: ("firmware_id", True), 0x0B: ("usb_vendor_id", False), 0x0C: ("usb_product_id", False),
                  0x06: ("min_pin_size", False), 0x07: ("max_pin_size", False),
                  0x0A: ("max_apdu_data_size", False)}


@dataclass
class ReaderReport:
    name: str
    card_present: bool
    atr: bytes | None
    attributes: dict[str, str] = field(default_factory=dict)  # vendor, ifd_type, ifd_version, ifd_serial
    features: list[str] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)  # from GET_TLV_PROPERTIES
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "card_present": self.card_present,
            "atr": self.atr.hex().upper() if self.atr else None,
            "attributes": self.attributes,
            "features": self.features,
            "properties": self.properties,
            "notes": self.notes,
        }


def _text(value: bytes) -> str:
    return value.rstrip(b"\x00").decode("ascii", errors="replace").strip()


def _version(value: bytes) -> str:
    """IFD version: a DWORD 0xMMmmbbbb (major, minor, build), little-endian in the attribute buffer."""
    number = int.from_bytes(value[:4].ljust(4, b"\x00"), "little")
    return f"{number >> 24}.{(number >> 16) & 0xFF}.{number & 0xFFFF}"


def _attributes(card: int) -> dict[str, str]:
    sc = scard()
    wanted = {
        "vendor": (sc.SCARD_ATTR_VENDOR_NAME, _text),
        "ifd_type": (sc.SCARD_ATTR_VENDOR_IFD_TYPE, _text),
        "ifd_version": (sc.SCARD_ATTR_VENDOR_IFD_VERSION, _version),
        "ifd_serial": (sc.SCARD_ATTR_VENDOR_IFD_SERIAL_NO, _text),
        "channel_id": (sc.SCARD_ATTR_CHANNEL_ID, lambda v: f"0x{int.from_bytes(v[:4], 'little'):08X}"),
    }
    found = {}
    for key, (attribute, render) in wanted.items():
        code, value = sc.SCardGetAttrib(card, attribute)
        if code == 0 and value:
            found[key] = render(bytes(value))
    return found


def _simple_tlv(data: bytes):
    """(tag, value) pairs of the one-byte-tag, one-byte-length TLV that PC/SC part 10 answers use."""
    pos = 0
    while pos + 2 <= len(data):
        tag, length = data[pos], data[pos + 1]
        value = data[pos + 2 : pos + 2 + length]
        if len(value) == length:
            yield tag, value
        pos += 2 + length


def parse_features(tlv: bytes) -> dict[int, int]:
    """CM_IOCTL_GET_FEATURE_REQUEST answer: tag, length 4, control code (big-endian), repeated."""
    return {tag: int.from_bytes(value, "big") for tag, value in _simple_tlv(tlv) if len(value) == 4}


def parse_tlv_properties(tlv: bytes) -> dict[str, str]:
    """GET_TLV_PROPERTIES answer: tag, length, little-endian integer or text, repeated."""
    found = {}
    for tag, value in _simple_tlv(tlv):
        if tag in TLV_PROPERTIES:
            name, is_text = TLV_PROPERTIES[tag]
            found[name] = _text(value) if is_text else f"0x{int.from_bytes(value, 'little'):04X}"
    return found


def _features(card: int, report: ReaderReport) -> None:
    sc = scard()
    code, answer = sc.SCardControl(card, sc.SCARD_CTL_CODE(CM_IOCTL_GET_FEATURE_REQUEST), [])
    if code != 0:
        report.notes.append("reader reports no PC/SC part 10 features")
        return
    features = parse_features(bytes(answer))
    report.features = [FEATURE_NAMES.get(tag, f"feature {tag:02X}") for tag in sorted(features)]
    if FEATURE_GET_TLV_PROPERTIES in features:
        code, answer = sc.SCardControl(card, features[FEATURE_GET_TLV_PROPERTIES], [])
        if code == 0:
            report.properties = parse_tlv_properties(bytes(answer))


def report_reader(ctx: int, status: ReaderStatus) -> ReaderReport:
    sc = scard()
    report = ReaderReport(status.name, status.card_present, status.atr)
    if status.card_present:
        share, protocols = sc.SCARD_SHARE_SHARED, sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1
    else:
        share, protocols = sc.SCARD_SHARE_DIRECT, 0
    code, card, _active = sc.SCardConnect(ctx, status.name, share, protocols)
    if code != 0:
        report.notes.append(f"reader cannot be queried ({sc.SCardGetErrorMessage(code).strip()})")
        return report
    try:
        report.attributes = _attributes(card)
        if not report.attributes:
            report.notes.append("reader reports no vendor, version or serial attributes")
        _features(card, report)
    finally:
        sc.SCardDisconnect(card, sc.SCARD_LEAVE_CARD)
    return report


def report_readers() -> list[ReaderReport]:
    """A report for every reader pcscd knows. NoDaemonError when pcscd is not running."""
    statuses = reader_statuses()
    with Context() as ctx:
        return [report_reader(ctx, status) for status in statuses]


def format_report(reports: list[ReaderReport]) -> str:
    if not reports:
        return "no PC/SC reader found"
    lines: list[str] = []
    for report in reports:
        lines.append(f"reader: {report.name}")
        for key, value in {**report.attributes, **report.properties}.items():
            lines.append(f"  {key}: {value}")
        if report.features:
            lines.append(f"  features: {', '.join(report.features)}")
        lines.extend(f"  note: {note}" for note in report.notes)
        if report.atr:
            lines.extend(f"  {line}" for line in describe_atr(report.atr))
        else:
            lines.append("  card: none")
    return "\n".join(lines)


def main() -> int:
    """`python -m firmware_tools.reader_report`: the report on stdout; exit 4 on a reader error."""
    import sys

    try:
        print(format_report(report_readers()))
    except ReaderError as exc:
        print(f"posterm: {exc}", file=sys.stderr)
        return 4
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
