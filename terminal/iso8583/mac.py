"""AES-CMAC (NIST SP 800-38B) over the message as sent, truncated to 8 bytes, via `cryptography`."""
from __future__ import annotations

import hmac

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import algorithms

from terminal.iso8583.dialect import MAC_LEN


def compute_mac(key: bytes, data: bytes) -> bytes:
    c = cmac.CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()[:MAC_LEN]


def mac_matches(key: bytes, data: bytes, mac: bytes) -> bool:
    return hmac.compare_digest(compute_mac(key, data), mac)
