"""The virtual EMV card: a VirtualCard (drivers/card_channel.py) answering command APDUs from a card image, with
real cryptograms (Book 2 Annex A1: option A master key, common session key, MAC algorithm 3), DDA and CDA
signatures, offline PIN (plaintext and RSA-enciphered), issuer authentication of the ARPC, and issuer scripts.

Card risk management is deliberately simple: the card asks to go online unless the amount is within the
profile's `offline_approve_limit`. A T=0 profile answers case-4 commands with 61xx and waits for GET RESPONSE."""
from __future__ import annotations

import hashlib
import os

from drivers.emulated.vcard.certificates import signed_dynamic_data
from drivers.emulated.vcard.contactless import check_script_command, qvsdc_external_authenticate, qvsdc_gpo
from drivers.emulated.vcard.profile import CardImage, card_image, directory_entries, directory_record
from drivers.emvspec import crypto
from drivers.emvspec.ber_tlv import encode, encode_many
from drivers.emvspec.dol import split_dol_data
from drivers.emvspec.errors import DolError

PSE, PPSE = b"1PAY.SYS.DDF01", b"2PAY.SYS.DDF01"
CID_AAC, CID_TC, CID_ARQC = 0x00, 0x40, 0x80


def _sw(sw: int, data: bytes = b"") -> bytes:
    return data + sw.to_bytes(2, "big")


class VirtualEmvCard:
    """One card. Counters (ATC, PIN tries, blocked state) live as long as the object: a reset ends the session
    only, as on a real card."""

    def __init__(self, image: CardImage, random_bytes=os.urandom) -> None:
        self.image = image
        self._random = random_bytes
        self.atc = image.atc
        self.last_online_atc = image.last_online_atc
        self.pin_tries = image.pin_tries
        self.blocked = {a.aid for a in image.applications if a.blocked}
        self.tracks = image.tracks
        self.update_arqc: bytes | None = None   # qVSDC: the last online ARQC, kept for a second tap's issuer data
        self.reset()

    # ---- VirtualCard protocol -------------------------------------------------------------------------------
    def atr(self) -> bytes:
        return self.image.atr

    def reset(self) -> None:
        self.selected: bytes | None = None
        self._next_index = 0
        self._gpo_done = False
        self._pdol_data = b""
        self._cdol1: dict[int, bytes] = {}
        self._cdol1_raw = b""
        self._arqc: bytes | None = None
        self._first_ac_done = False
        self._second_ac_done = False
        self._issuer_auth_ok = False
        self._challenge: bytes | None = None
        self._pending: bytes | None = None

    def process(self, apdu: bytes) -> bytes:
        apdu = bytes(apdu)
        if len(apdu) < 4:
            return _sw(0x6700)
        cla, ins = apdu[0], apdu[1]
        if ins == 0xC0 and cla & 0x80 == 0:
            return self._get_response(apdu)
        self._pending = None
        data = b""
        if len(apdu) > 5:                       # case 3 (Lc data) or case 4 (Lc data Le), ISO 7816-3 12.1
            lc = apdu[4]
            data = apdu[5:5 + lc]
            if lc == 0 or len(apdu) not in (5 + lc, 6 + lc):
                return _sw(0x6700)
        handler = {(0x00, 0xA4): self._select, (0x00, 0xB2): self._read_record, (0x80, 0xA8): self._gpo,
                   (0x80, 0xCA): self._get_data, (0x00, 0x20): self._verify, (0x00, 0x84): self._get_challenge,
                   (0x00, 0x88): self._internal_authenticate, (0x80, 0xAE): self._generate_ac,
                   (0x00, 0x82): self._external_authenticate}.get((cla, ins))
        if handler is None and cla == 0x84:
            handler = self._script_command
        if handler is None:
            return _sw(0x6E00 if cla not in (0x00, 0x80, 0x84) else 0x6D00)
        bad = self._check_command(ins, apdu, data)
        response = _sw(bad) if bad else handler(apdu, data)
        if self.image.t0 and data and len(response) > 2:
            self._pending = response
            return bytes([0x61, (len(response) - 2) & 0xFF])
        return response

    # ---- strict command checks (Book 3 6.5 and Book C-2/C-3 for the contactless commands) ---------------
    def _dol_length(self, dol) -> int:
        return sum(length for _, length in dol)

    def _check_command(self, ins: int, apdu: bytes, data: bytes) -> int:
        """The status word a real card answers a malformed command with (0: well formed): wrong P1/P2 is
        6A86, a data field of the wrong length 6700. So a kernel that sends the wrong thing fails here."""
        p1, p2 = apdu[2], apdu[3]
        img = self.image
        if apdu[0] == 0x84 and img.kernel == "c3":                # issuer script commands (Book C-3 update)
            return check_script_command(self, apdu, data)
        if ins == 0xA4:                                           # SELECT by name, first or next (Book 1 11.3)
            if p1 != 0x04 or p2 not in (0x00, 0x02):
                return 0x6A86
            return 0 if 1 <= len(data) <= 16 else 0x6700
        if ins == 0xB2:                                           # READ RECORD: P2 = SFI << 3 | 100b
            return 0x6A86 if p1 == 0 or p2 & 0x07 != 0x04 or data else 0
        if ins == 0xA8:                                           # GPO: P1 P2 00 00, data 83 L PDOL data
            if p1 or p2:
                return 0x6A86
            if len(data) < 2 or data[0] != 0x83 or data[1] != len(data) - 2:
                return 0x6A80
            return 0 if data[1] == self._dol_length(img.pdol_entries) else 0x6700
        if ins == 0xAE:                                           # GENERATE AC: P1 b6 b5 b4-b1 RFU but b5 (CDA)
            if p1 & 0x2F or p2:
                return 0x6A86
            dol = img.cdol2 if self._first_ac_done else img.cdol1
            return 0 if len(data) == self._dol_length(dol) else 0x6700
        if ins == 0x20:                                           # VERIFY: P1 00, P2 80 plaintext / 88 enciphered
            if p1 or p2 not in (0x80, 0x88):
                return 0x6A86
            if p2 == 0x80 and len(data) != 8:
                return 0x6700
            return 0
        if ins == 0x88:                                           # INTERNAL AUTHENTICATE: P1 P2 00 00, DDOL data
            if p1 or p2:
                return 0x6A86
            ddol = img.ddol_entries
            return 0 if (len(data) == self._dol_length(ddol) if ddol else data) else 0x6700
        if ins in (0x84, 0x82):                                   # GET CHALLENGE, EXTERNAL AUTHENTICATE
            if p1 or p2:
                return 0x6A86
            return 0x6700 if ins == 0x82 and not 8 <= len(data) <= 16 else 0
        if ins == 0xCA:                                           # GET DATA: no data field
            return 0x6700 if data else 0
        return 0

    def _get_response(self, apdu: bytes) -> bytes:
        pending, self._pending = self._pending, None
        if pending is None:
            return _sw(0x6985)
        return pending

    # ---- selection -------------------------------------------------------------------------------------------
    def _select(self, apdu: bytes, name: bytes) -> bytes:
        img = self.image
        self.reset()
        if name == PSE and img.pse and img.contact:
            self.selected = PSE
            fci = encode(0x6F, encode(0x84, PSE) + encode(0xA5, encode(0x88, b"\x01") + encode(0x5F2D, b"en")))
            return _sw(0x9000, fci)
        if name == PPSE and img.contactless:
            self.selected = PPSE
            entries = directory_entries(img.applications)
            return _sw(0x9000, encode(0x6F, encode(0x84, PPSE) + encode(0xA5, encode(0xBF0C, entries))))
        matches = [a for a in img.applications if a.aid.startswith(name) and name]
        index = self._next_index if apdu[3] & 0x02 else 0
        if index >= len(matches):
            return _sw(0x6A82)
        app = matches[index]
        self._next_index = index + 1
        prop = encode_many([(0x50, app.label.encode()), (0x87, bytes([app.priority | (0x80 if app.confirm else 0)]))])
        if img.pdol:
            prop += encode(0x9F38, img.pdol)
        prop += encode(0x5F2D, img.raw.get("language", "en").encode())
        if app.preferred_name:
            prop += encode(0x9F11, bytes([app.code_table])) + encode(0x9F12, app.preferred_name.encode("latin-1"))
        fci = encode(0x6F, encode(0x84, app.aid) + encode(0xA5, prop))
        if app.aid in self.blocked:
            return _sw(0x6283, fci)
        self.selected = app.aid
        return _sw(0x9000, fci)

    def _read_record(self, apdu: bytes, _data: bytes) -> bytes:
        record, sfi = apdu[2], apdu[3] >> 3
        if self.selected == PSE:
            apps = self.image.applications
            return _sw(0x9000, directory_record(apps)) if (sfi, record) == (1, 1) else _sw(0x6A83)
        if self.selected is None or self.selected == PPSE:
            return _sw(0x6985)
        bad = self.image.faults.get("bad_tlv_record")
        if bad == f"{sfi}.{record}":
            good = self.image.records[(sfi, record)]
            return _sw(0x9000, good[:2] + b"\x9f\x36\x7f\x00")   # a tag whose length runs past the end
        found = self.image.records.get((sfi, record))
        return _sw(0x9000, found) if found else _sw(0x6A83)

    # ---- initiate, data --------------------------------------------------------------------------------------
    def _app_selected(self) -> bool:
        return self.selected not in (None, PSE, PPSE)

    def _gpo(self, apdu: bytes, data: bytes) -> bytes:
        if not self._app_selected() or self._gpo_done:
            return _sw(0x6985)
        self._pdol_data = data[2:]
        self._gpo_done = True
        self.atc = (self.atc + 1) & 0xFFFF
        img = self.image
        if img.kernel == "c3":
            return qvsdc_gpo(self, self._pdol_data)
        if img.faults.get("bad_tlv_gpo"):
            return _sw(0x9000, b"\x80\x10\x7c")
        if img.gpo_format == 2:
            return _sw(0x9000, encode(0x77, encode(0x82, img.aip) + encode(0x94, img.afl)))
        return _sw(0x9000, encode(0x80, img.aip + img.afl))

    def _get_data(self, apdu: bytes, _data: bytes) -> bytes:
        tag = (apdu[2] << 8) | apdu[3]
        values = {0x9F36: self.atc.to_bytes(2, "big"), 0x9F13: self.last_online_atc.to_bytes(2, "big"),
                  0x9F17: bytes([self.pin_tries])}
        if tag not in values:
            return _sw(0x6A88)
        return _sw(0x9000, encode(tag, values[tag]))

    # ---- cardholder verification ----------------------------------------------------------------------------
    def _get_challenge(self, apdu: bytes, _data: bytes) -> bytes:
        self._challenge = self._random(8)
        return _sw(0x9000, self._challenge)

    def _verify(self, apdu: bytes, data: bytes) -> bytes:
        if not self._gpo_done:
            return _sw(0x6985)
        if self.pin_tries == 0:
            return _sw(0x6983)
        if apdu[3] == 0x80:
            block = data
        elif apdu[3] == 0x88 and self.image.icc_key is not None:
            if self._challenge is None or len(data) != len(self.image.icc_key.modulus):
                return _sw(0x6985)
            plain = self.image.icc_key.decrypt(data)
            challenge, self._challenge = self._challenge, None
            if plain[0] != 0x7F or plain[9:17] != challenge:
                return _sw(0x6985)
            block = plain[1:9]
        else:
            return _sw(0x6A86)
        digits = block.hex().upper()
        length = int(digits[1], 16) if len(digits) == 16 and digits[0] == "2" else 0
        if 4 <= length <= 12 and digits[2:2 + length] == self.image.pin:
            self.pin_tries = self.image.pin_try_limit
            return _sw(0x9000)
        self.pin_tries -= 1
        return _sw(0x63C0 | self.pin_tries)

    # ---- data authentication ----------------------------------------------------------------------------------
    def _dynamic_number(self) -> bytes:
        return hashlib.sha1(self.atc.to_bytes(2, "big") + self._random(8)).digest()[:8]

    def _internal_authenticate(self, apdu: bytes, data: bytes) -> bytes:
        key = self.image.icc_key
        if key is None or not self._gpo_done:
            return _sw(0x6985)
        number = self._dynamic_number()
        sdad = signed_dynamic_data(key, bytes([len(number)]) + number, data)
        if self.image.faults.get("corrupt_signature"):
            sdad = sdad[:-1] + bytes([sdad[-1] ^ 0x01])
        return _sw(0x9000, encode(0x80, sdad))

    # ---- cryptograms -----------------------------------------------------------------------------------------
    def _session_key(self) -> bytes:
        return crypto.ac_session_key(self.image.imk_ac, self.image.pan, self.image.psn, self.atc.to_bytes(2, "big"))

    def _cryptogram(self, values: dict[int, bytes], iad: bytes) -> bytes:
        values = dict(values)
        values[0x82] = self.image.aip
        values[0x9F36] = self.atc.to_bytes(2, "big")
        values[0x9F10] = iad
        return crypto.retail_mac(self._session_key(), crypto.ac_input(values))

    def _generate_ac(self, apdu: bytes, data: bytes) -> bytes:
        img = self.image
        if not self._gpo_done or self._second_ac_done or img.kernel == "c3":   # qVSDC: no GENERATE AC
            return _sw(0x6985)
        requested, cda = apdu[2] & 0xC0, bool(apdu[2] & 0x10)
        second = self._first_ac_done
        try:
            values = split_dol_data(img.cdol2 if second else img.cdol1, data)
        except DolError:
            return _sw(0x6700)
        if not second:
            self._cdol1, self._cdol1_raw = values, data
            amount = int(values.get(0x9F02, b"\x00").hex() or "0")
            if requested == CID_AAC:
                cid = CID_AAC
            elif requested == CID_TC and amount <= img.offline_approve_limit:
                cid = CID_TC
            else:
                cid = CID_ARQC
        else:
            arc = values.get(0x8A, b"")
            if 0x91 in values:
                self._check_arpc(values[0x91])
            if requested == CID_AAC:
                cid = CID_AAC
            elif arc in (b"Y3",):
                cid = CID_TC if int(self._cdol1.get(0x9F02, b"\x00").hex() or "0") <= img.offline_approve_limit \
                    else CID_AAC
            elif arc != b"00" or (img.issuer_auth_required and not self._issuer_auth_ok):
                cid = CID_AAC
            else:
                cid = CID_TC
            if cid == CID_TC and arc == b"00":
                self.last_online_atc = self.atc
        merged = dict(self._cdol1)
        merged.update(values)
        iad = bytes.fromhex("06010A03") + bytes([0x90 if cid == CID_ARQC else 0x50 if cid == CID_TC else 0x10,
                                                   0x00, 0x00])
        ac = self._cryptogram(merged, iad)
        if cid == CID_ARQC:
            self._arqc = ac
        self._first_ac_done = True
        self._second_ac_done = second
        cid_b, atc_b = bytes([cid]), self.atc.to_bytes(2, "big")
        if cda and cid != CID_AAC and img.icc_key is not None:
            objs = encode(0x9F27, cid_b) + encode(0x9F36, atc_b) + encode(0x9F10, iad)
            hashed = self._pdol_data + self._cdol1_raw + (data if second else b"") + objs
            number = self._dynamic_number()
            dynamic = bytes([len(number)]) + number + cid_b + ac + hashlib.sha1(hashed).digest()
            sdad = signed_dynamic_data(img.icc_key, dynamic, merged.get(0x9F37, b""))
            if img.faults.get("corrupt_signature"):
                sdad = sdad[:-1] + bytes([sdad[-1] ^ 0x01])
            return _sw(0x9000, encode(0x77, objs + encode(0x9F4B, sdad)))
        if img.gpo_format == 2:
            return _sw(0x9000, encode(0x77, encode_many([(0x9F27, cid_b), (0x9F36, atc_b), (0x9F26, ac),
                                                        (0x9F10, iad)])))
        return _sw(0x9000, encode(0x80, cid_b + atc_b + ac + iad))

    def _check_arpc(self, auth_data: bytes) -> bool:
        if self._arqc is None or len(auth_data) < 10:
            return False
        expected = crypto.arpc_method1(self._session_key(), self._arqc, auth_data[8:10])
        self._issuer_auth_ok = expected == auth_data[:8]
        return self._issuer_auth_ok

    def _external_authenticate(self, apdu: bytes, data: bytes) -> bytes:
        if self.image.kernel == "c3":
            return qvsdc_external_authenticate(self, data)
        if self._arqc is None or self._second_ac_done:
            return _sw(0x6985)
        return _sw(0x9000) if self._check_arpc(data) else _sw(0x6300)

    # ---- issuer scripts (secure messaging MAC is not checked: see docs/emv.md) ------------------------------
    def _script_command(self, apdu: bytes, data: bytes) -> bytes:
        ins = apdu[1]
        if ins == 0x1E:                          # APPLICATION BLOCK
            if self.selected and self._app_selected():
                self.blocked.add(self.selected)
            return _sw(0x9000)
        if ins == 0x18:                          # APPLICATION UNBLOCK
            self.blocked.discard(self.selected)
            return _sw(0x9000)
        if ins == 0x24:                          # PIN CHANGE/UNBLOCK: reset the try counter
            self.pin_tries = self.image.pin_try_limit
            return _sw(0x9000)
        if ins in (0xDA, 0xDC):                  # PUT DATA / UPDATE RECORD: accepted, not stored
            return _sw(0x9000)
        return _sw(0x6D00)


def load_profile(name: str) -> VirtualEmvCard:
    """A fresh card of the named profile (ProfileError when there is none)."""
    return VirtualEmvCard(card_image(name))
