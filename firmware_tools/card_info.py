"""`posterm fw card info`: what an EMV card holds, read without changing it (like `emvtool info`).

The walk: SELECT the PSE (contact) or PPSE (contactless) and list its applications, else try the well-known
AIDs; for each application SELECT (FCI), GET PROCESSING OPTIONS (AIP, AFL), READ RECORD of every AFL record,
GET DATA for the PIN try counter (9F17), ATC (9F36), last online ATC (9F13) and log format (9F4F). Never
GENERATE AC, VERIFY, or anything that writes. GET PROCESSING OPTIONS is the one command that may count: many
cards increment their ATC on it (docs/firmware_tools.md).

Values are printed through firmware_tools.decode: the PAN masked (first 6, last 4), track 2 equivalent data,
track 1, the cardholder name and discretionary data only as their length.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

from drivers.emvspec import ber_tlv
from drivers.emvspec.dol import build_dol_data, parse_dol
from drivers.emvspec.errors import EmvError
from terminal.emv import apdu, tags
from terminal.emv.capk import KeyStore, default_test_store
from terminal.emv.gpo import parse_afl
from firmware_tools.decode import sw_text, value_text

PSE, PPSE = b"1PAY.SYS.DDF01", b"2PAY.SYS.DDF01"
KNOWN_AIDS = ("A0000000031010", "A0000000032010", "A0000000041010", "A0000000043060", "A000000333010101",
              "A000000333010102", "A000000333010103", "A00000002501", "A0000000651010", "A0000001523010")
GET_DATA_TAGS = (0x9F17, 0x9F36, 0x9F13, 0x9F4F)
AIP_BITS = ((0, 0x40, "SDA supported"), (0, 0x20, "DDA supported"), (0, 0x10, "cardholder verification"),
            (0, 0x08, "terminal risk management to be performed"), (0, 0x04, "issuer authentication"),
            (0, 0x01, "CDA supported"))


@dataclass
class AppInfo:
    aid: str
    label: str = ""
    priority: int | None = None
    fci: list[dict] = field(default_factory=list)
    aip: str | None = None
    aip_meaning: list[str] = field(default_factory=list)
    afl: list[str] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)     # {"sfi", "record", "objects": [{tag, name, value}]}
    ca_key_index: str | None = None
    ca_key_held: bool | None = None
    oda: list[str] = field(default_factory=list)
    get_data: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _objects(data: bytes) -> list[dict]:
    out = []
    try:
        parsed = ber_tlv.parse(data)
    except EmvError as e:
        return [{"tag": "?", "name": "not BER-TLV", "value": str(e)}]
    for obj in ber_tlv.walk(parsed):
        if obj.constructed:
            continue
        out.append({"tag": f"{obj.tag:02X}", "name": tags.info(obj.tag).name, "value": value_text(obj.tag, obj.value)})
    return out


def _send(channel, command: apdu.Command) -> tuple[bytes, int]:
    raw = bytes(channel.transmit(command.apdu))
    return raw[:-2], int.from_bytes(raw[-2:], "big")


def _directory(channel, contactless: bool) -> list[tuple[str, str, int | None]] | None:
    """(AID, label, priority) from the PSE or PPSE; None when the card has none."""
    data, sw = _send(channel, apdu.select(PPSE if contactless else PSE))
    if sw != 0x9000:
        return None
    fci = ber_tlv.parse(data)
    entries: list[ber_tlv.Tlv] = []
    if contactless:
        entries = ber_tlv.find_all(fci, 0x61)
    else:
        sfi = ber_tlv.find(fci, 0x88)
        for number in range(1, 17) if sfi else ():
            rec, rsw = _send(channel, apdu.read_record(sfi.value[0], number))
            if rsw != 0x9000:
                break
            entries += ber_tlv.find_all(ber_tlv.parse(rec), 0x61)
    apps = []
    for entry in entries:
        objs = entry.children()
        aid, label, prio = ber_tlv.find(objs, 0x4F), ber_tlv.find(objs, 0x50), ber_tlv.find(objs, 0x87)
        if aid:
            apps.append((aid.value.hex().upper(), label.value.decode("ascii", "replace") if label else "",
                         prio.value[0] & 0x0F if prio and prio.value else None))
    return apps


def _pdol_data(pdol: bytes) -> bytes:
    today = dt.date.today()
    values = {0x9F1A: b"\x01\x56", 0x5F2A: b"\x01\x56", 0x9C: b"\x00", 0x9F37: os.urandom(4),
              0x9A: bytes.fromhex(today.strftime("%y%m%d")), 0x9F66: bytes.fromhex("36000000"),
              0x9F35: b"\x22", 0x9F33: bytes.fromhex("E0F8C8"), 0x9F40: bytes.fromhex("6000F0A001")}
    return build_dol_data(parse_dol(pdol, "PDOL"), values, tags.fmt)


def _application(channel, aid: str, label: str, priority: int | None, keys: KeyStore) -> AppInfo:
    app = AppInfo(aid, label, priority)
    data, sw = _send(channel, apdu.select(bytes.fromhex(aid)))
    if sw != 0x9000:
        app.notes.append(f"SELECT answered {sw:04X} ({sw_text(sw)})")
        return app
    app.fci = _objects(data)
    flat = ber_tlv.parse(data)
    if not app.label and (lab := ber_tlv.find(flat, 0x50)):
        app.label = lab.value.decode("ascii", "replace")
    pdol = ber_tlv.find(flat, 0x9F38)
    data, sw = _send(channel, apdu.get_processing_options(_pdol_data(pdol.value) if pdol else b""))
    if sw != 0x9000:
        app.notes.append(f"GET PROCESSING OPTIONS answered {sw:04X} ({sw_text(sw)})")
        return app
    top = ber_tlv.parse(data)
    found: dict[int, bytes] = {o.tag: o.value for o in ber_tlv.walk(top)}
    if top and top[0].tag == 0x80:
        aip, afl = top[0].value[:2], top[0].value[2:]
    else:
        inner = top
        aip = (ber_tlv.find(inner, 0x82) or ber_tlv.Tlv(0x82, b"")).value
        afl = (ber_tlv.find(inner, 0x94) or ber_tlv.Tlv(0x94, b"")).value
        app.records.append({"sfi": None, "record": "GPO", "objects": _objects(data)})
    app.aip = aip.hex().upper()
    app.aip_meaning = [text for byte, bit, text in AIP_BITS if len(aip) > byte and aip[byte] & bit]
    try:
        entries = parse_afl(afl) if afl else []
    except EmvError as e:
        entries = []
        app.notes.append(str(e))
    for entry in entries:
        app.afl.append(f"SFI {entry.sfi} records {entry.first}-{entry.last}, {entry.oda_count} for ODA")
        for number in range(entry.first, entry.last + 1):
            rec, rsw = _send(channel, apdu.read_record(entry.sfi, number))
            if rsw != 0x9000:
                app.notes.append(f"READ RECORD {entry.sfi}.{number} answered {rsw:04X} ({sw_text(rsw)})")
                continue
            app.records.append({"sfi": entry.sfi, "record": number, "objects": _objects(rec)})
            try:
                for obj in ber_tlv.walk(ber_tlv.parse(rec)):
                    found.setdefault(obj.tag, obj.value)
            except EmvError:
                pass
    index = found.get(0x8F)
    if index:
        app.ca_key_index = index.hex().upper()
        app.ca_key_held = keys.get(bytes.fromhex(aid)[:5], index[0]) is not None
    certs = 0x90 in found and 0x8F in found
    if aip and aip[0] & 0x40 and certs and 0x93 in found:
        app.oda.append("SDA")
    if aip and aip[0] & 0x20 and certs and 0x9F46 in found:
        app.oda.append("DDA")
    if aip and aip[0] & 0x01 and certs and 0x9F46 in found:
        app.oda.append("CDA")
    if app.oda and not app.ca_key_held:
        app.notes.append("the terminal does not hold this CA key: offline data authentication would fail")
    for tag in GET_DATA_TAGS:
        value, gsw = _send(channel, apdu.get_data(tag))
        if gsw == 0x9000:
            obj = ber_tlv.find(ber_tlv.parse(value), tag) if value else None
            if obj is not None:
                app.get_data[tags.info(tag).name] = str(int(obj.value.hex(), 16)) if tag != 0x9F4F \
                    else obj.value.hex().upper()
        else:
            app.get_data[tags.info(tag).name] = f"not available ({gsw:04X})"
    return app


def card_info(channel, keys: KeyStore | None = None) -> dict:
    """Everything readable about the card on `channel` (a CardChannel), as plain data, sensitive values masked."""
    keys = keys or default_test_store()
    contactless = channel.protocol == "contactless"
    listed = _directory(channel, contactless)
    source = ("PPSE" if contactless else "PSE") if listed is not None else "known AIDs"
    if listed is None:
        listed = [(aid, "", None) for aid in KNOWN_AIDS]
    apps = []
    for aid, label, priority in listed:
        app = _application(channel, aid, label, priority, keys)
        if source != "known AIDs" or not app.notes or not app.notes[0].startswith("SELECT answered 6A82"):
            apps.append(app)
    return {"atr": bytes(channel.atr).hex().upper(), "protocol": channel.protocol, "directory": source,
            "applications": [vars(a) for a in apps]}


def info_lines(info: dict) -> list[str]:
    lines = [f"card ATR {info['atr']} ({info['protocol']}); applications from {info['directory']}"]
    if not info["applications"]:
        lines.append("no EMV application found")
    for app in info["applications"]:
        prio = f", priority {app['priority']}" if app["priority"] is not None else ""
        lines.append(f"application {app['aid']} '{app['label']}'{prio}")
        lines += [f"  FCI {o['tag']} ({o['name']}): {o['value']}" for o in app["fci"]]
        if app["aip"]:
            lines.append(f"  AIP {app['aip']}: {', '.join(app['aip_meaning']) or 'nothing'}")
        lines += [f"  AFL {a}" for a in app["afl"]]
        for rec in app["records"]:
            where = f"record {rec['sfi']}.{rec['record']}" if rec["sfi"] else "GPO response"
            lines.append(f"  {where}")
            lines += [f"    {o['tag']} ({o['name']}): {o['value']}" for o in rec["objects"]]
        if app["ca_key_index"]:
            held = "held by the terminal" if app["ca_key_held"] else "NOT held by the terminal"
            lines.append(f"  CA public key index {app['ca_key_index']} (RID {app['aid'][:10]}): {held}")
        lines.append(f"  ODA possible: {', '.join(app['oda']) or 'none'}")
        lines += [f"  {name}: {value}" for name, value in app["get_data"].items()]
        lines += [f"  note: {n}" for n in app["notes"]]
    return lines
