"""Offline data authentication, EMV Book 2 sections 5 (SDA), 6 (DDA and CDA): recover the issuer and ICC public
keys from their certificates with the CA key, then check the signed static or dynamic data. Every function is
pure; failures raise OdaError naming the check, and the kernel turns that into the TVR bit of the method.

Recovery is raw RSA with the public exponent (pow), hashing is SHA-1 (hash algorithm indicator '01')."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from drivers.emvspec.crypto import rsa_raw
from terminal.emv.capk import CaPublicKey
from terminal.emv.errors import OdaError

HEADER, TRAILER = 0x6A, 0xBC
SHA1 = 0x01
RSA = 0x01


@dataclass(frozen=True)
class PublicKey:
    modulus: bytes
    exponent: bytes

    @property
    def exponent_int(self) -> int:
        return int.from_bytes(self.exponent, "big")


def recover(signed: bytes, key: PublicKey | CaPublicKey, what: str) -> bytes:
    """Book 2 5.3 step 1 / 6.3 step 1: same length as the modulus, header 6A, trailer BC."""
    if len(signed) != len(key.modulus):
        raise OdaError(f"{what}: {len(signed)} bytes, the key modulus has {len(key.modulus)}")
    try:
        plain = rsa_raw(signed, key.exponent_int, key.modulus)
    except ValueError:
        raise OdaError(f"{what}: value is not below the modulus") from None
    if plain[-1] != TRAILER:
        raise OdaError(f"{what}: recovered data trailer is {plain[-1]:02X}, expected BC")
    if plain[0] != HEADER:
        raise OdaError(f"{what}: recovered data header is {plain[0]:02X}, expected 6A")
    return plain


def _check_hash(plain: bytes, extra: bytes, what: str) -> None:
    body, digest = plain[1:-21], plain[-21:-1]
    if hashlib.sha1(body + extra).digest() != digest:
        raise OdaError(f"{what}: hash result does not match")


def _expiry_passed(mmyy: bytes, today: date) -> bool:
    """Certificate expiry MMYY (BCD): valid through the last day of that month."""
    month, year = int(mmyy[:1].hex()), 2000 + int(mmyy[1:2].hex())
    return (year, month) < (today.year, today.month)


def _pan_digits(value: bytes) -> str:
    return value.hex().upper().rstrip("F")


def _modulus(inside: bytes, length: int, remainder: bytes, what: str) -> bytes:
    """The key is the certificate's leftmost digits plus the remainder, or fits inside (padded with BB)."""
    if length <= len(inside):
        return inside[:length]
    if len(inside) + len(remainder) != length:
        raise OdaError(f"{what} missing or of the wrong length")
    return inside + remainder


def issuer_public_key(cert: bytes, remainder: bytes, exponent: bytes, ca: CaPublicKey, pan: str,
                      today: date) -> PublicKey:
    """Book 2 5.3 / Table 13: recover the Issuer Public Key from tag 90 (+92 remainder, 9F32 exponent)."""
    what = "issuer public key certificate"
    plain = recover(cert, ca, what)
    if plain[1] != 0x02:
        raise OdaError(f"{what}: certificate format {plain[1]:02X}, expected 02")
    _check_hash(plain, remainder + exponent, what)
    issuer_id = _pan_digits(plain[2:6])
    if not issuer_id or not pan.startswith(issuer_id) or not 3 <= len(issuer_id) <= 8:
        raise OdaError(f"{what}: issuer identifier does not match the PAN's leading digits")
    if _expiry_passed(plain[6:8], today):
        raise OdaError(f"{what}: certificate expired ({plain[6:8].hex()} MMYY)")
    if plain[11] != SHA1 or plain[12] != RSA:
        raise OdaError(f"{what}: unsupported hash/public key algorithm {plain[11]:02X}/{plain[12]:02X}")
    return PublicKey(_modulus(plain[15:-21], plain[13], remainder, f"{what}: remainder (92)"), exponent)


def icc_public_key(cert: bytes, remainder: bytes, exponent: bytes, issuer: PublicKey, pan: str,
                   static_data: bytes, today: date) -> PublicKey:
    """Book 2 6.4 / Table 14: recover the ICC Public Key from tag 9F46 (+9F48, 9F47); the hash also covers the
    static data to be authenticated (the records marked in the AFL, and the AIP when 9F4A asks for it)."""
    what = "ICC public key certificate"
    plain = recover(cert, issuer, what)
    if plain[1] != 0x04:
        raise OdaError(f"{what}: certificate format {plain[1]:02X}, expected 04")
    _check_hash(plain, remainder + exponent + static_data, what)
    if _pan_digits(plain[2:12]) != pan:
        raise OdaError(f"{what}: application PAN does not match tag 5A")
    if _expiry_passed(plain[12:14], today):
        raise OdaError(f"{what}: certificate expired ({plain[12:14].hex()} MMYY)")
    if plain[17] != SHA1 or plain[18] != RSA:
        raise OdaError(f"{what}: unsupported hash/public key algorithm")
    return PublicKey(_modulus(plain[21:-21], plain[19], remainder, f"{what}: remainder (9F48)"), exponent)


def verify_sda(ssad: bytes, issuer: PublicKey, static_data: bytes) -> bytes:
    """Book 2 5.4 / Table 15: tag 93; returns the Data Authentication Code (9F45)."""
    what = "signed static application data"
    plain = recover(ssad, issuer, what)
    if plain[1] != 0x03:
        raise OdaError(f"{what}: format {plain[1]:02X}, expected 03")
    _check_hash(plain, static_data, what)
    return plain[3:5]


def verify_dynamic_signature(sdad: bytes, icc: PublicKey, terminal_data: bytes) -> bytes:
    """Book 2 6.5.2 / Table 17: tag 9F4B; returns the ICC Dynamic Data (its first part is the ICC Dynamic
    Number, 9F4C). `terminal_data` is the DDOL data for DDA, the Unpredictable Number for CDA."""
    what = "signed dynamic application data"
    plain = recover(sdad, icc, what)
    if plain[1] != 0x05:
        raise OdaError(f"{what}: format {plain[1]:02X}, expected 05")
    _check_hash(plain, terminal_data, what)
    length = plain[3]
    dynamic = plain[4:4 + length]
    if len(dynamic) != length or length < 3:
        raise OdaError(f"{what}: ICC dynamic data length {length} is inconsistent")
    return dynamic


@dataclass(frozen=True)
class CdaResult:
    dynamic_number: bytes
    cid: int
    cryptogram: bytes


def verify_cda(sdad: bytes, icc: PublicKey, unpredictable_number: bytes, cid: int,
               transaction_data: bytes) -> CdaResult:
    """Book 2 6.6.2: the signature covers the ICC Dynamic Number, the CID, the Application Cryptogram and a
    SHA-1 'transaction data hash code' over PDOL, CDOL values and the card's other response objects."""
    dynamic = verify_dynamic_signature(sdad, icc, unpredictable_number)
    n = dynamic[0]
    if len(dynamic) < 1 + n + 1 + 8 + 20:
        raise OdaError("CDA: ICC dynamic data too short")
    number = dynamic[1:1 + n]
    signed_cid = dynamic[1 + n]
    cryptogram = dynamic[2 + n:10 + n]
    hash_code = dynamic[10 + n:30 + n]
    if signed_cid != cid:
        raise OdaError(f"CDA: signed CID {signed_cid:02X} differs from the CID returned ({cid:02X})")
    if hashlib.sha1(transaction_data).digest() != hash_code:
        raise OdaError("CDA: transaction data hash code does not match")
    return CdaResult(number, signed_cid, cryptogram)
