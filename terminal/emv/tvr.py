"""Terminal Verification Results (tag 95) and Transaction Status Information (tag 9B), EMV Book 3 Annex C5/C6.
Bits are named as data: (byte index 0-based, bit mask), so tests and logs use the book's words."""
from __future__ import annotations

TVR_BITS: dict[str, tuple[int, int]] = {
    # byte 1
    "oda_not_performed": (0, 0x80),
    "sda_failed": (0, 0x40),
    "icc_data_missing": (0, 0x20),
    "card_on_exception_file": (0, 0x10),
    "dda_failed": (0, 0x08),
    "cda_failed": (0, 0x04),
    "sda_selected": (0, 0x02),
    # byte 2
    "different_versions": (1, 0x80),
    "expired_application": (1, 0x40),
    "application_not_yet_effective": (1, 0x20),
    "service_not_allowed": (1, 0x10),
    "new_card": (1, 0x08),
    # byte 3
    "cvm_not_successful": (2, 0x80),
    "unrecognised_cvm": (2, 0x40),
    "pin_try_limit_exceeded": (2, 0x20),
    "pin_pad_not_working": (2, 0x10),
    "pin_not_entered": (2, 0x08),
    "online_pin_entered": (2, 0x04),
    # byte 4
    "floor_limit_exceeded": (3, 0x80),
    "lower_consecutive_limit_exceeded": (3, 0x40),
    "upper_consecutive_limit_exceeded": (3, 0x20),
    "random_online": (3, 0x10),
    "merchant_forced_online": (3, 0x08),
    # byte 5
    "default_tdol_used": (4, 0x80),
    "issuer_authentication_failed": (4, 0x40),
    "script_failed_before_final_ac": (4, 0x20),
    "script_failed_after_final_ac": (4, 0x10),
}

TSI_BITS: dict[str, tuple[int, int]] = {
    "oda_performed": (0, 0x80),
    "cvm_performed": (0, 0x40),
    "card_risk_management_performed": (0, 0x20),
    "issuer_authentication_performed": (0, 0x10),
    "terminal_risk_management_performed": (0, 0x08),
    "script_processing_performed": (0, 0x04),
}


class BitField:
    """A named-bit register (TVR or TSI) that the kernel sets as it goes."""

    def __init__(self, bits: dict[str, tuple[int, int]], size: int) -> None:
        self._bits = bits
        self.value = bytearray(size)

    def set(self, name: str) -> None:
        index, mask = self._bits[name]
        self.value[index] |= mask

    def is_set(self, name: str) -> bool:
        index, mask = self._bits[name]
        return bool(self.value[index] & mask)

    def names(self) -> list[str]:
        return [n for n in self._bits if self.is_set(n)]

    def __bytes__(self) -> bytes:
        return bytes(self.value)


def new_tvr() -> BitField:
    return BitField(TVR_BITS, 5)


def new_tsi() -> BitField:
    return BitField(TSI_BITS, 2)


def names_of(bits: dict[str, tuple[int, int]], value: bytes) -> list[str]:
    return [n for n, (i, m) in bits.items() if i < len(value) and value[i] & m]
