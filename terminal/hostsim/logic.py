"""The host's decisions, without sockets: a verified request in, the response fields out.

Duplicates are keyed, as host-interface.md says, on the message class and (41, 11, 13, 12): a repeat or a
re-sent request gets its first answer again, so the simulator can never approve the same sale twice.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from terminal.card import CardDataError, parse_track2
from terminal.card.pan import validate_pan
from terminal.card.tracks import is_expired
from terminal.hostsim.ledger import Ledger
from terminal.iso8583.builders import field7
from terminal.iso8583.codec import Message, Value
from terminal.iso8583.dialect import ECHOED, MANDATORY, RESPONSE_MTI

CLASS = {"0200": "financial", "0220": "advice", "0221": "advice", "0320": "upload", "0400": "reversal",
         "0401": "reversal", "0500": "settlement", "0800": "network"}


@dataclass
class HostPolicy:
    """What this acquirer allows. Empty merchant set = every merchant enabled."""
    merchants: set[str] = field(default_factory=set)
    today: dt.date | None = None  # for expiry checks; None = the real date
    pin_key: bytes = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")  # the terminals' online PIN key (demo)


def _key(m: Message) -> str:
    f = m.fields
    return "|".join([CLASS[m.mti], str(f.get(41, "")), str(f.get(11, "")), str(f.get(13, "")), str(f.get(12, ""))])


def _to_json(fields: dict[int, Value]) -> dict:
    return {str(k): (v.hex() if isinstance(v, bytes) else v) for k, v in fields.items()}


def _from_json(d: dict) -> dict[int, Value]:
    return {int(k): (bytes.fromhex(v) if int(k) == 55 else v) for k, v in d.items()}


class HostLogic:
    def __init__(self, ledger: Ledger, policy: HostPolicy | None = None) -> None:
        self.ledger = ledger
        self.policy = policy or HostPolicy()
        self._scripts: tuple[str, ...] = ()   # the rule's issuer scripts for the request being handled

    def handle(self, m: Message, forced_code: str | None = None,
               scripts: tuple[str, ...] = ()) -> tuple[str, dict[int, Value]]:
        """Return (response MTI, fields without MAC). `forced_code` and `scripts` (issuer scripts for a chip
        answer, issuer_emv.SCRIPTS) come from a rule."""
        rmti = RESPONSE_MTI.get(m.mti)
        if rmti is None:
            raise ValueError(f"MTI {m.mti} is not a request of this dialect")
        with self.ledger.lock():
            self._scripts = scripts
            key = _key(m)
            first = self.ledger.first_answer(key)
            if first is not None:
                fields = _from_json(first)
                fields[7] = field7(dt.datetime.now(dt.timezone.utc))
                self.ledger.log(m.mti, str(m.fields.get(11, "")), str(fields.get(39)), "duplicate: first answer again")
                return rmti, fields
            fields = {n: m.fields[n] for n in ECHOED if n in m.fields}
            fields[7] = field7(dt.datetime.now(dt.timezone.utc))
            missing = MANDATORY[m.mti] - set(m.fields)
            if missing:
                code, note = "30", f"missing field {min(missing)}"
            else:
                code, note = getattr(self, "_" + CLASS[m.mti])(m, fields, forced_code)
            fields[39] = code
            self.ledger.remember_answer(key, _to_json(fields))
            self.ledger.log(m.mti, str(m.fields.get(11, "")), code, note)
            return rmti, fields

    # -- per message class ----------------------------------------------------------------------------------
    def _card_check(self, m: Message) -> str | None:
        today = self.policy.today or dt.date.today()
        try:
            if 35 in m.fields:
                t2 = parse_track2(str(m.fields[35]))
                pan, expiry = t2.pan, t2.expiry
            elif 2 in m.fields and 14 in m.fields:
                pan, expiry = validate_pan(str(m.fields[2])), str(m.fields[14])
            else:
                return "30"
        except CardDataError as e:
            return "14" if "PAN" in e.fault or "Luhn" in e.fault else "30"
        if is_expired(expiry, today):
            return "54"
        if 52 in m.fields:
            from terminal.hostsim.pin_check import online_pin_ok
            if online_pin_ok(bytes(m.fields[52]), pan, self.policy.pin_key) is False:
                return "55"
        if 55 in m.fields:
            try:
                from terminal.hostsim import issuer_emv
            except ImportError:
                return None
            if not issuer_emv.verify_arqc(bytes(m.fields[55]), pan, str(m.fields.get(23, "000"))):
                return "05"
        return None

    def _void_check(self, m: Message) -> tuple[str, int | None]:
        """A void removes its original, found by RRN, from the batch: only an approved, unreversed purchase of
        the same open batch can be voided."""
        f = m.fields
        orig = self.ledger.find_by_rrn(str(f[41]), str(f.get(37, "")))
        if orig is None:
            return "25", None
        if orig["reversed"] or orig["response_code"] != "00" or orig["proc_code"] != "000000" \
                or orig["batch"] != str(f[60]):
            return "12", None
        self.ledger.mark_reversed(orig["id"])
        return "00", orig["id"]

    def _financial(self, m, fields, forced):
        f = m.fields
        voided = None
        if self.policy.merchants and str(f[42]).strip() not in self.policy.merchants:
            code = "03"
        elif str(f[3]) == "020000":
            code, voided = (forced, None) if forced else self._void_check(m)
        else:
            code = forced or self._card_check(m) or "00"
        rrn, auth = self.ledger.new_rrn_and_auth()
        fields[37] = rrn
        if code == "00":
            fields[38] = auth
        self._chip_response(m, fields, code)
        self.ledger.record(tid=str(f[41]), stan=str(f[11]), date=str(f[13]), time=str(f[12]),
                           transmitted=str(f[7]), source="void" if str(f[3]) == "020000" else "online",
                           proc=str(f[3]), amount=int(str(f[4])), batch=str(f[60]), code=code, rrn=rrn,
                           auth=auth if code == "00" else "", voids=voided)
        return code, f"{'approved' if code == '00' else 'declined'} {int(str(f[4]))}"

    def _chip_response(self, m: Message, fields: dict, code: str) -> None:
        if 55 not in m.fields:
            return
        try:
            from terminal.hostsim import issuer_emv
        except ImportError:
            return
        pan = str(m.fields[35]).split("=")[0] if 35 in m.fields else str(m.fields.get(2, ""))
        psn = str(m.fields.get(23, "000"))
        before, after = issuer_emv.named_scripts(bytes(m.fields[55]), pan, psn, self._scripts)
        fields[55] = issuer_emv.make_issuer_response(bytes(m.fields[55]), pan, psn, approve=code == "00",
                                                     scripts_before=before, scripts_after=after)

    def _advice(self, m, fields, forced):
        f = m.fields
        code = forced or "00"
        rrn, _ = self.ledger.new_rrn_and_auth()
        fields[37] = rrn
        if code == "00":
            self.ledger.record(tid=str(f[41]), stan=str(f[11]), date=str(f[13]), time=str(f[12]),
                               transmitted=str(f[7]), source="advice", proc=str(f[3]), amount=int(str(f[4])),
                               batch=str(f[60]), code=str(f[39]), rrn=rrn, auth="")
        return code, "advice recorded"

    def _upload(self, m, fields, forced):
        """A 0320 names its transaction by RRN: known ones are confirmed, unknown ones are added."""
        f = m.fields
        if forced:
            return forced, "forced by rule"
        known = self.ledger.find_by_rrn(str(f[41]), str(f[37]))
        if known is None:
            self.ledger.record(tid=str(f[41]), stan=str(f[11]), date=str(f[13]), time=str(f[12]),
                               transmitted=str(f[7]), source="upload", proc=str(f[3]), amount=int(str(f[4])),
                               batch=str(f[60]), code=str(f[39]), rrn=str(f[37]), auth=str(f[38]))
            return "00", "batch upload: added a transaction the host did not have"
        return "00", "batch upload: confirmed"

    def _reversal(self, m, fields, forced):
        f = m.fields
        if forced:
            return forced, "forced by rule"
        f90 = str(f[90])
        orig = self.ledger.find_original(str(f[41]), f90[4:10], str(f[13]), str(f[12]))
        if orig is None:
            return "25", "original not found"
        if orig["reversed"]:
            return "94", "original already reversed"
        self.ledger.mark_reversed(orig["id"])
        if orig["voids"] is not None:  # reversing a void puts its original back in the batch
            self.ledger.mark_reversed(orig["voids"], False)
        return "00", f"reversed original STAN {f90[4:10]}"

    def _settlement(self, m, fields, forced):
        f = m.fields
        credits, debits = self.ledger.totals(str(f[41]), str(f[60]))
        theirs = ((int(str(f[74])), int(str(f[86]))), (int(str(f[76])), int(str(f[88]))))
        if forced:
            return forced, "forced by rule"
        if (credits, debits) != theirs:
            return "95", f"host totals credits {credits} debits {debits}, terminal {theirs}"
        return "00", "batch closed"

    def _network(self, m, fields, forced):
        return forced or "00", "network management"
