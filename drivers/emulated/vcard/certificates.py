"""The card issuer's side of EMV Book 2: sign the Issuer Public Key certificate (with the CA key), the ICC Public
Key certificate and the Signed Static Application Data (with the issuer key), and the ICC's dynamic signatures.
Deterministic (raw RSA with the private exponent), so certificates are made from the test keys at load time and
never stored."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from drivers.emvspec.crypto import rsa_raw


@dataclass(frozen=True)
class KeyPair:
    modulus: bytes
    exponent: bytes
    private_exponent: bytes

    @classmethod
    def from_json(cls, entry: dict) -> "KeyPair":
        return cls(bytes.fromhex(entry["modulus"]), bytes.fromhex(entry["exponent"]),
                   bytes.fromhex(entry["private_exponent"]))

    def sign(self, plain: bytes) -> bytes:
        return rsa_raw(plain, int.from_bytes(self.private_exponent, "big"), self.modulus)

    def decrypt(self, data: bytes) -> bytes:
        return rsa_raw(data, int.from_bytes(self.private_exponent, "big"), self.modulus)


def _digits(text: str, size: int) -> bytes:
    return bytes.fromhex(text.ljust(size * 2, "F"))


def _seal(signer: KeyPair, body: bytes, hashed_extra: bytes) -> bytes:
    digest = hashlib.sha1(body + hashed_extra).digest()
    return signer.sign(b"\x6a" + body + digest + b"\xbc")


def _split_key(modulus: bytes, room: int) -> tuple[bytes, bytes]:
    """(the part inside the certificate, padded with BB; the remainder outside it)."""
    if len(modulus) <= room:
        return modulus + b"\xbb" * (room - len(modulus)), b""
    return modulus[:room], modulus[room:]


def issuer_certificate(ca: KeyPair, issuer: KeyPair, issuer_id: str, expiry_mmyy: str,
                       serial: bytes = b"\x00\x00\x01") -> tuple[bytes, bytes]:
    """Tag 90 and tag 92 (Book 2 Table 13)."""
    inside, remainder = _split_key(issuer.modulus, len(ca.modulus) - 36)
    body = (b"\x02" + _digits(issuer_id, 4) + bytes.fromhex(expiry_mmyy) + serial + b"\x01\x01"
            + bytes([len(issuer.modulus), len(issuer.exponent)]) + inside)
    return _seal(ca, body, remainder + issuer.exponent), remainder


def icc_certificate(issuer: KeyPair, icc: KeyPair, pan: str, expiry_mmyy: str, static_data: bytes,
                    serial: bytes = b"\x00\x00\x01") -> tuple[bytes, bytes]:
    """Tag 9F46 and tag 9F48 (Book 2 Table 14)."""
    inside, remainder = _split_key(icc.modulus, len(issuer.modulus) - 42)
    body = (b"\x04" + _digits(pan, 10) + bytes.fromhex(expiry_mmyy) + serial + b"\x01\x01"
            + bytes([len(icc.modulus), len(icc.exponent)]) + inside)
    return _seal(issuer, body, remainder + icc.exponent + static_data), remainder


def signed_static_data(issuer: KeyPair, dac: bytes, static_data: bytes) -> bytes:
    """Tag 93 (Book 2 Table 15)."""
    body = b"\x03\x01" + dac + b"\xbb" * (len(issuer.modulus) - 26)
    return _seal(issuer, body, static_data)


def signed_dynamic_data(icc: KeyPair, dynamic_data: bytes, terminal_data: bytes) -> bytes:
    """Tag 9F4B (Book 2 Table 17; for CDA the dynamic data is Table 19's)."""
    body = (b"\x05\x01" + bytes([len(dynamic_data)]) + dynamic_data
            + b"\xbb" * (len(icc.modulus) - len(dynamic_data) - 25))
    return _seal(icc, body, terminal_data)
