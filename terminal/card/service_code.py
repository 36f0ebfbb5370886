"""The 3-digit service code of ISO 7813 / ISO/IEC 7812: what the issuer allows for this card."""
from __future__ import annotations

from dataclasses import dataclass

from terminal.card.errors import CardDataError

_INTERCHANGE = {"1": "international", "2": "international, chip", "5": "national", "6": "national, chip",
                "7": "private", "9": "test"}
_AUTHORISATION = {"0": "normal", "2": "online by issuer", "4": "online by issuer except bilateral agreement"}
_SERVICES = {"0": "no restrictions, PIN required", "1": "no restrictions", "2": "goods and services only",
             "3": "ATM only, PIN required", "4": "cash only", "5": "goods and services only, PIN required",
             "6": "no restrictions, PIN if PIN pad present", "7": "goods and services, PIN if PIN pad present"}


@dataclass(frozen=True)
class ServiceCode:
    code: str

    @classmethod
    def parse(cls, text: str, where: str) -> "ServiceCode":
        if len(text) != 3 or not text.isdigit():
            raise CardDataError(where, "service code must be 3 digits")
        if text[0] not in _INTERCHANGE or text[1] not in _AUTHORISATION or text[2] not in _SERVICES:
            raise CardDataError(where, f"service code {text} is not defined by ISO/IEC 7813")
        return cls(text)

    @property
    def chip_card(self) -> bool:
        """2xx and 6xx: the card carries a chip and the swipe must defer to it (chip-first)."""
        return self.code[0] in "26"

    @property
    def online_only(self) -> bool:
        return self.code[1] in "24"

    @property
    def pin_required(self) -> bool:
        return self.code[2] in "035"

    @property
    def goods_and_services(self) -> bool:
        return self.code[2] not in "34"

    def describe(self) -> str:
        return f"{_INTERCHANGE[self.code[0]]}; {_AUTHORISATION[self.code[1]]} authorisation; {_SERVICES[self.code[2]]}"
