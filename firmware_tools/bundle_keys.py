"""The keys a signed parameter bundle carries: TR-31 / ANSI X9.143 key blocks under the terminal's key-block
protection key ([keys] kbpk), unwrapped with psec's tr31 module.

A key block binds the key to its use: the header's key usage, algorithm and mode of use are covered by the
block's MAC, so a MAC key cannot be delivered as a data key or a PIN key replaced by an attacker's. Each key the
terminal takes has one expected header (below); any other is refused. Only the wrapped block and the key's check
value are ever written (the bundle file holds the block; DATA_DIR/bundles/v<N>.kcv.json the check values); the
clear key exists in memory only, unwrapped again by each process that needs it.
"""
from __future__ import annotations

from dataclasses import dataclass

from drivers.emvspec.crypto import key_check_value


class KeyBlockError(ValueError):
    """A key block refused: which key, and why (no KBPK, MAC, header, length)."""


@dataclass(frozen=True)
class KeyUse:
    usage: str          # TR-31 key usage (header bytes 5-6)
    algorithms: str     # acceptable algorithm codes (byte 7)
    modes: str          # acceptable modes of use (byte 8)
    length: int         # the clear key's length in bytes
    kcv: str            # the check value's algorithm ('aes' or 'tdes')
    what: str


# The terminal's keys ([keys] in the config): what each must be declared as in its block.
KEY_USES = {
    "mac_key": KeyUse("M6", "A", "CGV", 16, "aes", "AES-CMAC message authentication (ISO 9797-1 algorithm 5)"),
    "data_key": KeyUse("D0", "A", "BED", 32, "aes", "symmetric data encryption (the sealed offline advices)"),
    "pin_key": KeyUse("P0", "T", "BE", 16, "tdes", "PIN encryption (ISO 9564 format 0, double-length TDES)"),
}


def unwrap_key(name: str, block: str, kbpk: bytes) -> bytes:
    """The clear key of `name` from its key block, after checking the block's MAC and header."""
    import psec.tr31
    use = KEY_USES.get(name)
    if use is None:
        raise KeyBlockError(f"[keys] {name}: not a key a bundle can carry (known: {', '.join(KEY_USES)})")
    if not kbpk:
        raise KeyBlockError(f"[keys] {name}: the bundle carries a key block but [keys] kbpk (the key-block "
                            "protection key) is not configured")
    if not isinstance(block, str):
        raise KeyBlockError(f"[keys] {name}: expected a TR-31 key block as text")
    try:
        header, key = psec.tr31.unwrap(kbpk, block)
    except (psec.tr31.KeyBlockError, psec.tr31.HeaderError, ValueError) as e:
        # psec's messages name the fault (MAC, length, header), never the key's bytes
        raise KeyBlockError(f"[keys] {name}: key block refused: {e}") from None
    if header.version_id != "D":
        raise KeyBlockError(f"[keys] {name}: key block version {header.version_id}: expected D (AES key block)")
    if (header.key_usage != use.usage or header.algorithm not in use.algorithms
            or header.mode_of_use not in use.modes):
        raise KeyBlockError(f"[keys] {name}: the block declares usage {header.key_usage}, algorithm "
                            f"{header.algorithm}, mode {header.mode_of_use}; a {name} must be {use.usage}/"
                            f"{use.algorithms}/{'|'.join(use.modes)} ({use.what})")
    if len(key) != use.length:
        raise KeyBlockError(f"[keys] {name}: the wrapped key is {len(key)} bytes, expected {use.length}")
    return key


def check_value(name: str, key: bytes) -> str:
    return key_check_value(key, KEY_USES[name].kcv)


def unwrap_all(blocks: dict, kbpk: bytes) -> dict[str, bytes]:
    """Every key of a bundle's [keys] table, unwrapped (in memory)."""
    if not isinstance(blocks, dict):
        raise KeyBlockError("[keys] must be a table of TR-31 key blocks")
    return {name: unwrap_key(name, block, kbpk) for name, block in blocks.items()}


def wrap_for_tests(name: str, key: bytes, kbpk: bytes) -> str:
    """A key block as a key-injection facility would make it for `name`: for tests and the bench."""
    import psec.tr31
    use = KEY_USES[name]
    header = psec.tr31.Header("D", use.usage, use.algorithms[0], use.modes[0], "00", "N")
    return psec.tr31.wrap(kbpk, header, key)
