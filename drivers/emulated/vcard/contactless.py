"""The card side of the contactless kernels (TEST DATA ONLY).

Book C-3 (Visa qVSDC): the card decides at GET PROCESSING OPTIONS. It reads the reader's Terminal Transaction
Qualifiers (9F66) from the PDOL data, answers in format 2 with the cryptogram (9F26, 9F27, 9F36, 9F10), track 2
equivalent, CTQ (9F6C), and for an offline approval the fDDA signature (9F4B over 9F37 || 9F02 || 5F2A || 9F69,
fDDA version 01) with its Card Authentication Related Data (9F69). There is no GENERATE AC afterwards.
Status words of Book C-3: 6984 (the reader cannot do qVSDC: try another interface), 6986 (the cardholder must
act on the phone first: 'see phone', try again)."""
from __future__ import annotations

from drivers.emulated.vcard.certificates import signed_dynamic_data
from drivers.emvspec import crypto
from drivers.emvspec.ber_tlv import encode, encode_many
from drivers.emvspec.dol import split_dol_data

CID_AAC, CID_TC, CID_ARQC = 0x00, 0x40, 0x80
# TTQ (9F66) byte 1: b6 qVSDC, b4 offline-only reader, b3 online PIN, b2 signature; byte 2: b8 online
# cryptogram required, b7 CVM required
TTQ_QVSDC, TTQ_OFFLINE_ONLY, TTQ_ONLINE_PIN, TTQ_SIGNATURE = 0x20, 0x08, 0x04, 0x02
TTQ_ONLINE_REQUIRED, TTQ_CVM_REQUIRED = 0x80, 0x40
# CTQ (9F6C) byte 1: b8 online PIN required, b7 signature required; byte 2: b8 consumer device CVM performed
CTQ_ONLINE_PIN, CTQ_SIGNATURE, CTQ_CDCVM = 0x80, 0x40, 0x80
# Visa IAD: CVR byte 2 bits 6-5 = type of the cryptogram returned (00 AAC, 01 TC, 10 ARQC)
CVR_TYPE = {CID_AAC: 0x00, CID_TC: 0x10, CID_ARQC: 0x20}


def _sw(sw: int, data: bytes = b"") -> bytes:
    return data + sw.to_bytes(2, "big")


def qvsdc_gpo(card, pdol_data: bytes) -> bytes:
    img = card.image
    values = split_dol_data(img.pdol_entries, pdol_data)
    ttq = values.get(0x9F66, bytes(4))
    if not ttq[0] & TTQ_QVSDC:
        return _sw(0x6984)
    cvm_required = bool(ttq[1] & TTQ_CVM_REQUIRED)
    if cvm_required and img.faults.get("cdcvm_pending"):
        return _sw(0x6986)
    ctq = bytearray(img.ctq or bytes(2))
    if cvm_required:
        if img.raw.get("cdcvm"):
            ctq[1] |= CTQ_CDCVM
        elif ttq[0] & TTQ_ONLINE_PIN:
            ctq[0] |= CTQ_ONLINE_PIN
        elif ttq[0] & TTQ_SIGNATURE:
            ctq[0] |= CTQ_SIGNATURE
    amount = int(values.get(0x9F02, b"\x00").hex() or "0")
    online_ok = not ttq[0] & TTQ_OFFLINE_ONLY
    offline_ok = (not ttq[1] & TTQ_ONLINE_REQUIRED and amount <= img.offline_approve_limit
                  and img.icc_key is not None and not ctq[0] & CTQ_ONLINE_PIN)
    if img.faults.get("always_aac"):
        cid = CID_AAC
    elif offline_ok:
        cid = CID_TC
    else:
        cid = CID_ARQC if online_ok else CID_AAC
    iad = bytes([0x06, 0x01, 0x0A, 0x03, CVR_TYPE[cid], 0x00, 0x00])
    ac = card._cryptogram(values, iad)
    if cid == CID_ARQC:
        card._arqc = ac
    card.update_arqc = ac if cid == CID_ARQC else None     # what a second tap's issuer data must answer
    objs = [(0x82, img.aip), (0x94, img.afl), (0x57, img.track2_equivalent), (0x5F34, bytes.fromhex(img.psn)),
            (0x9F10, iad), (0x9F26, ac)]
    if not img.faults.get("no_cid"):
        objs.append((0x9F27, bytes([cid])))
    objs += [(0x9F36, card.atc.to_bytes(2, "big")), (0x9F6C, bytes(ctq))]
    if cid == CID_TC:
        cad = b"\x01" + card._random(4) + bytes(ctq)                 # fDDA version 01, card UN, CTQ
        number = card._dynamic_number()
        terminal = values.get(0x9F37, b"") + values.get(0x9F02, b"") + values.get(0x5F2A, b"") + cad
        sdad = signed_dynamic_data(img.icc_key, bytes([len(number)]) + number, terminal)
        if img.faults.get("corrupt_signature"):
            sdad = sdad[:-1] + bytes([sdad[-1] ^ 0x01])
        objs += [(0x9F69, cad), (0x9F4B, sdad)]
    return _sw(0x9000, encode(0x77, encode_many(objs)))


# ---- Book C-3 issuer update processing: the second presentation after an online qVSDC transaction ----------
CTQ_ISSUER_UPDATE = 0x40           # CTQ byte 2 b7: the card supports issuer update processing at the POS
SCRIPT_INS = {0x1E: "APPLICATION BLOCK", 0x18: "APPLICATION UNBLOCK", 0x24: "PIN CHANGE/UNBLOCK",
              0xDA: "PUT DATA", 0xDC: "UPDATE RECORD"}


def supports_issuer_update(card) -> bool:
    ctq = card.image.ctq or bytes(2)
    return len(ctq) > 1 and bool(ctq[1] & CTQ_ISSUER_UPDATE)


def issuer_update_state(card) -> int:
    """0 when the card may take issuer data now, else the status word: an application selected on a new
    presentation (no GPO in this session) of a card that supports it, with an online transaction to answer."""
    if not supports_issuer_update(card) or not card._app_selected() or card._gpo_done:
        return 0x6985
    return 0 if card.update_arqc is not None else 0x6985


def qvsdc_external_authenticate(card, data: bytes) -> bytes:
    """EXTERNAL AUTHENTICATE on the second tap: the ARPC against the ARQC the card gave at the last GPO."""
    bad = issuer_update_state(card)
    if bad:
        return _sw(bad)
    card._arqc = card.update_arqc
    ok = card._check_arpc(data)
    card._arqc = None
    return _sw(0x9000 if ok else 0x6300)


def check_script_command(card, apdu: bytes, data: bytes) -> int:
    """Book 3 / Book 2 9.2 shape of a script command to a qVSDC card: secure messaging CLA 84, the P1/P2 its
    INS takes, data ending in a 4-byte MAC over the header, the ATC and ARQC of the answered transaction.
    0 when it is well formed and its MAC right; 6A86 wrong P1/P2, 6700 wrong length, 6988 MAC wrong, 6D00
    unknown INS, 6985 not now."""
    ins, p1, p2 = apdu[1], apdu[2], apdu[3]
    if ins not in SCRIPT_INS:
        return 0x6D00
    if ins in (0x1E, 0x18) and (p1 or p2) or ins == 0x24 and (p1 or p2 not in (0x00, 0x01, 0x02)):
        return 0x6A86
    if ins == 0xDC and (p1 == 0 or p2 & 0x07 != 0x04):
        return 0x6A86
    bare = ins in (0x1E, 0x18) or (ins == 0x24 and p2 == 0x00)        # the MAC is the only data
    if (len(data) != 4) if bare else len(data) < 5:
        return 0x6700
    bad = issuer_update_state(card)
    if bad:
        return bad
    mac = crypto.script_mac(card._session_key(), bytes(apdu[:5]), card.atc.to_bytes(2, "big"), card.update_arqc,
                            data[:-4])
    return 0 if mac == data[-4:] else 0x6988
