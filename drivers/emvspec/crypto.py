"""Symmetric and RSA primitives of EMV Book 2 Annex A, shared by the virtual cards and the issuer simulator (the
terminal itself only uses the RSA recovery): TDES, the ISO/IEC 9797-1 MAC algorithm 3 with padding method 2
(A1.2.1), ICC master key derivation option A (A1.4.1), the common session key (A1.3.1) and ARPC method 1 (8.2.1).

Checked against the published pyemv examples in tests/drivers/emvspec/test_crypto.py."""
from __future__ import annotations

from cryptography.hazmat.primitives.ciphers import Cipher, modes

try:  # cryptography >= 43 keeps TripleDES in the 'decrepit' module
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES  # type: ignore[no-redef]


def _full_key(key: bytes) -> bytes:
    """Spell 8- and 16-byte keys as the 24-byte keying option cryptography wants (same cipher)."""
    if len(key) == 8:
        return key * 3
    if len(key) == 16:
        return key + key[:8]
    return key


def tdes_encrypt(key: bytes, data: bytes) -> bytes:
    """ECB over whole 8-byte blocks; a 16-byte key is double-length TDES, an 8-byte key single DES."""
    enc = Cipher(TripleDES(_full_key(key)), modes.ECB()).encryptor()
    return enc.update(data) + enc.finalize()


def tdes_decrypt(key: bytes, data: bytes) -> bytes:
    dec = Cipher(TripleDES(_full_key(key)), modes.ECB()).decryptor()
    return dec.update(data) + dec.finalize()


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b))


def pad_method2(data: bytes) -> bytes:
    """ISO/IEC 9797-1 padding method 2: '80' then zeros to a multiple of 8."""
    data = bytes(data) + b"\x80"
    return data + bytes(-len(data) % 8)


def retail_mac(key: bytes, data: bytes) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 (single-DES CBC with K_L, then decrypt K_R / encrypt K_L on the last
    block), padding method 2: the AC and ARPC MAC of Book 2 A1.2.1."""
    k_l, k_r = key[:8], key[8:16]
    padded = pad_method2(data)
    enc = Cipher(TripleDES(_full_key(k_l)), modes.CBC(bytes(8))).encryptor()
    last = (enc.update(padded) + enc.finalize())[-8:]
    return tdes_encrypt(k_l, tdes_decrypt(k_r, last))


def _odd_parity(key: bytes) -> bytes:
    out = bytearray(key)
    for i, b in enumerate(out):
        if bin(b >> 1).count("1") % 2 == 0:
            out[i] = (b & 0xFE) | 1
        else:
            out[i] = b & 0xFE
    return bytes(out)


def derive_icc_master_key(imk: bytes, pan: str, psn: str) -> bytes:
    """Option A (Book 2 A1.4.1): Y = rightmost 16 digits of PAN || PSN ('00' when absent); the key is
    TDES(IMK)[Y] || TDES(IMK)[Y xor FF..FF] with odd parity."""
    digits = (pan + (psn or "00")).rjust(16, "0")[-16:]
    y = bytes.fromhex(digits)
    z = tdes_encrypt(imk, y) + tdes_encrypt(imk, _xor(y, b"\xff" * 8))
    return _odd_parity(z)


def derive_session_key(master_key: bytes, r: bytes) -> bytes:
    """EMV common session key (Book 2 A1.3.1): F1 = R with byte 3 = F0, F2 = R with byte 3 = 0F."""
    f1 = r[:2] + b"\xf0" + r[3:8]
    f2 = r[:2] + b"\x0f" + r[3:8]
    return _odd_parity(tdes_encrypt(master_key, f1) + tdes_encrypt(master_key, f2))


def ac_session_key(imk: bytes, pan: str, psn: str, atc: bytes) -> bytes:
    """The per-transaction AC key of a card: master key from the issuer key, then R = ATC || 00 x6."""
    return derive_session_key(derive_icc_master_key(imk, pan, psn), atc + bytes(6))


def arpc_method1(session_key: bytes, arqc: bytes, arc: bytes) -> bytes:
    """Book 2 8.2.1: ARPC = TDES(SK)[ARQC xor (ARC || 00 x6)]."""
    return tdes_encrypt(session_key, _xor(arqc, arc + bytes(6)))


def rsa_raw(data: bytes, exponent: int, modulus: bytes) -> bytes:
    """RSA without padding, as EMV uses it for recovery (public exponent) and signing (private exponent)."""
    n = int.from_bytes(modulus, "big")
    value = int.from_bytes(data, "big")
    if len(data) != len(modulus) or value >= n:
        raise ValueError(f"RSA input of {len(data)} bytes does not fit a {len(modulus)}-byte modulus")
    return pow(value, exponent, n).to_bytes(len(modulus), "big")


# Data the application cryptogram is computed over (Book 2 section 8.1.1, the recommended minimum set), then the
# Issuer Application Data (whose Card Verification Results say which cryptogram it is, as scheme CVNs do, so a TC
# never repeats the ARQC). The virtual cards and the issuer simulator both use this list, so the issuer can check
# an ARQC from field 55 alone.
AC_DATA_TAGS = (0x9F02, 0x9F03, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C, 0x9F37, 0x82, 0x9F36, 0x9F10)


def ac_input(values) -> bytes:
    return b"".join(values.get(tag, b"") for tag in AC_DATA_TAGS)


def key_check_value(key: bytes, algorithm: str = "aes") -> str:
    """Key check value: the first 3 bytes of a zero block enciphered under the key (AES, or TDES for 'tdes'),
    in hex: what an operator compares to the value the key's custodian printed, without seeing the key."""
    if algorithm == "tdes":
        return tdes_encrypt(key, bytes(8))[:3].hex().upper()
    from cryptography.hazmat.primitives.ciphers import algorithms
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return (enc.update(bytes(16)) + enc.finalize())[:3].hex().upper()



def script_mac(session_key: bytes, header: bytes, atc: bytes, arqc: bytes, data: bytes = b"") -> bytes:
    """The 4-byte MAC of an issuer script command (Book 2 9.2.3 in outline): over its header CLA INS P1 P2 Lc
    (Lc counting the MAC), the ATC and the ARQC of the transaction the script answers, then the command data.
    The project keys it with the AC session key, where a real card has its own secure messaging key."""
    return retail_mac(session_key, header + atc + arqc + data)[:4]
