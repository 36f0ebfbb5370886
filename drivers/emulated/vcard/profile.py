"""Card profiles: JSON files in profiles/ (TEST DATA ONLY: test PANs, test keys) turned into a card image:
FCIs, PSE/PPSE directories, records with certificates signed from the test keys, AFL, AIP, magstripe tracks.

A profile may name a `base` profile and override keys of it (deep merge), so the broken cards (`expired`,
`blocked`, `bad-oda`, `pin-blocked`, `bad-tlv`) are a few lines each. Tracks are ISO 7813 text WITHOUT start/end
sentinels and LRC: track 1 'B<PAN>^<NAME>^<YYMM><service code><discretionary>', track 2
'<PAN>=<YYMM><service code><discretionary>'."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from drivers.emulated.vcard.certificates import (KeyPair, icc_certificate, issuer_certificate,
                                                 signed_static_data)
from drivers.emvspec.ber_tlv import encode, encode_many
from drivers.emvspec.dol import parse_dol

PROFILE_DIR = Path(__file__).parent / "profiles"
KEYS_FILE = PROFILE_DIR / "test_keys.json"
AIP_SDA, AIP_DDA, AIP_CVM, AIP_TRM, AIP_ISSUER_AUTH, AIP_CDA = 0x40, 0x20, 0x10, 0x08, 0x04, 0x01


class ProfileError(ValueError):
    """A profile name that does not exist or a profile file that is malformed."""


@dataclass(frozen=True)
class Tracks:
    track1: str
    track2: str


@dataclass(frozen=True)
class Application:
    aid: bytes
    label: str
    priority: int
    confirm: bool
    blocked: bool
    directory_label: bool = True       # False: the PSE/PPSE entry omits 50, as many real cards' do
    preferred_name: str = ""           # 9F12 in the FCI, with code_table as 9F11
    code_table: int = 0
    kernel_id: bytes = b""             # 9F2A in the PPSE entry (Book B 3.3.2)


@dataclass
class CardImage:
    name: str
    description: str
    raw: dict
    atr: bytes
    contact: bool
    contactless: bool
    t0: bool
    pse: bool
    applications: list[Application]
    pan: str
    psn: str
    aip: bytes
    afl: bytes
    gpo_format: int
    pdol: bytes
    pdol_entries: list[tuple[int, int]]
    ddol_entries: list[tuple[int, int]]
    cdol1: list[tuple[int, int]]
    cdol2: list[tuple[int, int]]
    records: dict[tuple[int, int], bytes]
    imk_ac: bytes
    icc_key: KeyPair | None
    oda: str
    tracks: Tracks
    pin: str
    pin_try_limit: int
    pin_tries: int
    atc: int
    last_online_atc: int
    offline_approve_limit: int
    issuer_auth_required: bool
    faults: dict = field(default_factory=dict)
    kernel: str = ""                   # contactless card kernel: 'c3' (Visa qVSDC), 'c2' (M/Chip); '' contact EMV
    ctq: bytes = b""                   # 9F6C the qVSDC card starts from
    track2_equivalent: bytes = b""


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def profile_names() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.json") if p.stem != "test_keys")


def _raw(name: str, depth: int = 0) -> dict:
    path = PROFILE_DIR / f"{name}.json"
    if name == "test_keys" or not path.is_file():
        raise ProfileError(f"no card profile '{name}' (known: {', '.join(profile_names())})")
    try:
        doc = json.loads(path.read_text())
    except ValueError as err:
        raise ProfileError(f"profile {path.name}: {err}") from None
    if "base" in doc:
        if depth > 4:
            raise ProfileError(f"profile {name}: base chain too deep")
        doc = _merge(_raw(doc.pop("base"), depth + 1), doc)
    return doc


@lru_cache(maxsize=1)
def _keys() -> dict:
    return json.loads(KEYS_FILE.read_text())


def _luhn_ok(pan: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(pan)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _tracks(p: dict) -> Tracks:
    yymm = p["expiry"][:4]
    disc = p.get("discretionary", "00000000")
    return Tracks(f"B{p['pan']}^{p['name']}^{yymm}{p['service_code']}{disc}",
                  f"{p['pan']}={yymm}{p['service_code']}{disc}")


def _track2_equivalent(track2: str) -> bytes:
    digits = track2.replace("=", "D")
    return bytes.fromhex(digits + ("F" if len(digits) % 2 else ""))


def _aip(p: dict) -> bytes:
    oda = {"sda": AIP_SDA, "dda": AIP_DDA | AIP_SDA, "cda": AIP_CDA | AIP_DDA | AIP_SDA, "none": 0}[p["oda"]]
    first = oda | AIP_CVM | AIP_TRM | (AIP_ISSUER_AUTH if p.get("issuer_auth", True) else 0)
    return bytes([first, 0x00])


def _directory_entry(app: Application) -> bytes:
    objs = [(0x4F, app.aid)] + ([(0x50, app.label.encode())] if app.directory_label else [])
    objs.append((0x87, bytes([app.priority | (0x80 if app.confirm else 0)])))
    if app.kernel_id:
        objs.append((0x9F2A, app.kernel_id))
    return encode(0x61, encode_many(objs))


def _build_records(p: dict, aip: bytes, pan: str) -> tuple[dict, bytes, KeyPair | None]:
    keys = _keys()
    tracks = _tracks(p)
    data = {k.upper(): v for k, v in p.get("data", {}).items()}
    rec1 = encode_many([(0x57, _track2_equivalent(tracks.track2)), (0x5F20, p["name"].encode())])
    app_data = [(0x5A, bytes.fromhex(pan + ("F" if len(pan) % 2 else ""))),
                (0x5F24, bytes.fromhex(p["expiry"])), (0x5F25, bytes.fromhex(p["effective"])),
                (0x5F34, bytes.fromhex(p["psn"]))]
    if p.get("kernel") != "c3":                      # a qVSDC card has no CVM list and no CDOLs (Book C-3)
        app_data += [(0x8E, bytes.fromhex(p["cvm_list"])), (0x8C, bytes.fromhex(p["cdol1"])),
                     (0x8D, bytes.fromhex(p["cdol2"]))]
    app_data += [(int(tag, 16), bytes.fromhex(value)) for tag, value in data.items()]
    if p["oda"] in ("sda", "dda", "cda"):
        app_data.append((0x9F4A, b"\x82"))
    rec2 = encode_many(app_data)
    records = {(1, 1): encode(0x70, rec1), (2, 1): encode(0x70, rec2)}
    afl = bytes.fromhex("08010101" "10010101")
    static = rec1 + rec2 + aip
    icc_key = None
    if p["oda"] != "none":
        k = p["keys"]
        ca_entry = keys["ca"][k["ca_rid"]]
        ca = KeyPair.from_json(ca_entry)
        issuer = KeyPair.from_json(keys["issuer"][k["issuer"]])
        cert, remainder = issuer_certificate(ca, issuer, pan[:6], p["cert_expiry"])
        cert_rec = [(0x8F, bytes.fromhex(ca_entry["index"])), (0x90, cert), (0x9F32, issuer.exponent)]
        if remainder:
            cert_rec.append((0x92, remainder))
        if p["oda"] == "sda":
            ssad = signed_static_data(issuer, bytes.fromhex("DAC1"), static)
            second = [(0x93, _corrupt(ssad) if p.get("faults", {}).get("corrupt_signature") else ssad)]
        else:
            icc_key = KeyPair.from_json(keys["icc"][k["icc"]])
            icc_cert, icc_rem = icc_certificate(issuer, icc_key, pan, p["cert_expiry"], static)
            second = [(0x9F46, icc_cert), (0x9F47, icc_key.exponent)] + ([(0x9F48, icc_rem)] if icc_rem else [])
        records[(3, 1)] = encode(0x70, encode_many(cert_rec))
        records[(3, 2)] = encode(0x70, encode_many(second))
        afl += bytes.fromhex("18010200")
    elif p.get("enciphered_pin_key"):
        icc_key = KeyPair.from_json(keys["icc"][p["keys"]["icc"]])
    return records, afl, icc_key


def _corrupt(signature: bytes) -> bytes:
    """A signature that still fits the modulus but recovers to garbage (the bad-oda card)."""
    return signature[:-1] + bytes([signature[-1] ^ 0x01])


def _build(name: str) -> CardImage:
    p = _raw(name)
    try:
        pan = p["pan"]
        if not pan.isdigit() or not _luhn_ok(pan):
            raise ProfileError(f"profile {name}: PAN fails the Luhn check")
        aip = _aip(p)
        records, afl, icc_key = _build_records(p, aip, pan)
        apps = [Application(bytes.fromhex(a["aid"]), a["label"], a.get("priority", 1), a.get("confirm", False),
                            a.get("blocked", False), a.get("directory_label", True), a.get("preferred_name", ""),
                            int(a.get("code_table", 0)), bytes.fromhex(a.get("kernel_id", "")))
                for a in p["applications"]]
        interface = p.get("interface", "contact")
        return CardImage(
            name=name, description=p.get("description", ""), raw=p, atr=bytes.fromhex(p["atr"]),
            contact=interface in ("contact", "both"), contactless=interface in ("contactless", "both"),
            t0=bool(p.get("t0", False)), pse=bool(p.get("pse", True)), applications=apps, pan=pan, psn=p["psn"],
            aip=aip, afl=afl, gpo_format=int(p.get("gpo_format", 1)), pdol=bytes.fromhex(p.get("pdol", "")),
            pdol_entries=parse_dol(bytes.fromhex(p.get("pdol", ""))),
            ddol_entries=parse_dol(bytes.fromhex(p.get("data", {}).get("9F49", ""))),
            cdol1=parse_dol(bytes.fromhex(p["cdol1"])), cdol2=parse_dol(bytes.fromhex(p["cdol2"])),
            records=records, imk_ac=bytes.fromhex(p["keys"]["imk_ac"]), icc_key=icc_key, oda=p["oda"],
            tracks=_tracks(p), pin=str(p["pin"]), pin_try_limit=int(p["pin_try_limit"]),
            pin_tries=int(p["pin_tries"]), atc=int(p["atc"]), last_online_atc=int(p["last_online_atc"]),
            offline_approve_limit=int(p.get("offline_approve_limit", 0)),
            issuer_auth_required=bool(p.get("issuer_auth_required", True)), faults=dict(p.get("faults", {})),
            kernel=p.get("kernel", ""), ctq=bytes.fromhex(p.get("ctq", "")),
            track2_equivalent=_track2_equivalent(_tracks(p).track2))
    except (KeyError, ValueError, TypeError) as err:
        if isinstance(err, ProfileError):
            raise
        raise ProfileError(f"profile {name}: malformed ({type(err).__name__}: {err})") from None


_CACHE: dict[str, CardImage] = {}


def card_image(name: str) -> CardImage:
    """The built image (cached: signing certificates costs a few RSA operations)."""
    if name not in _CACHE:
        _CACHE[name] = _build(name)
    return _CACHE[name]


def directory_record(apps: list[Application]) -> bytes:
    return encode(0x70, b"".join(_directory_entry(a) for a in apps))


def directory_entries(apps: list[Application]) -> bytes:
    return b"".join(_directory_entry(a) for a in apps)
