"""The terminal transport layer's status-word rules (ISO 7816-4 5.3.4, EMV Book 1 9.3), without any I/O.

PC/SC hands the terminal whatever the card put on the wire: a T=0 card answers '61xx' ("xx more bytes are
waiting: fetch them with GET RESPONSE") or '6Cxx' ("wrong Le: send the same command again with Le = xx").
pyscard leaves both to the caller, so this module does them once, for every channel (PC/SC and in-process):
`exchange` takes the command APDU and a raw-transmit callable and returns the one response APDU the caller
should see. The rules are applied whatever the protocol: a T=1 or contactless card that chooses to answer
61xx gets the same treatment, which is what terminals do in practice.
"""
from __future__ import annotations

from typing import Callable

from drivers.errors import CardProtocolError

RawTransmit = Callable[[bytes], bytes]

GET_RESPONSE_INS = 0xC0
# A card that keeps answering 61xx forever would hang the terminal; 256 GET RESPONSEs is far more data
# than any short-APDU card returns (EMV records are at most 256 bytes).
MAX_GET_RESPONSES = 256


def get_response_command(cla: int, length: int) -> bytes:
    """GET RESPONSE with Le = length (0 means 256), on the same logical channel as the command it follows.

    Interindustry classes (first bit 0) keep their channel bits; proprietary classes (e.g. EMV's '80' for
    GENERATE AC) use '00', as EMV Book 1 and ISO 7816-4 define GET RESPONSE as an interindustry command."""
    channel_bits = cla & 0x03 if cla & 0x80 == 0 else 0x00
    return bytes((channel_bits, GET_RESPONSE_INS, 0x00, 0x00, length & 0xFF))


def with_le(apdu: bytes, le: int) -> bytes:
    """The same short command APDU with its Le set to `le` (added for cases 1 and 3, replaced for 2 and 4)."""
    header, body = apdu[:4], apdu[4:]
    if not body:  # case 1
        return header + bytes((le,))
    lc = body[0]
    if len(body) == 1:  # case 2: the single byte is Le
        return header + bytes((le,))
    if lc != 0 and len(body) == 1 + lc:  # case 3
        return apdu + bytes((le,))
    if lc != 0 and len(body) == 2 + lc:  # case 4
        return apdu[:-1] + bytes((le,))
    raise CardProtocolError(
        f"cannot re-send command {apdu[:4].hex().upper()} with Le={le:02X}: its body of {len(body)} bytes is "
        "not a short APDU (Lc, data, optional Le)"
    )


def _check_response(response: bytes, command: bytes) -> bytes:
    if len(response) < 2:
        raise CardProtocolError(
            f"card answered {len(response)} byte(s) to {command[:4].hex().upper()}: a response needs SW1 SW2"
        )
    return response


def exchange(apdu: bytes, transmit_raw: RawTransmit) -> bytes:
    """Send `apdu` through `transmit_raw` and follow 61xx / 6Cxx until the card gives a final status.

    Returns all data the card produced (concatenated over the GET RESPONSE chain) followed by the last SW1 SW2.
    Raises CardProtocolError for a malformed command, a response without status word, a second 6Cxx, or an
    endless 61xx chain. Errors of `transmit_raw` itself (removal, daemon gone) pass through unchanged."""
    apdu = bytes(apdu)
    if len(apdu) < 4:
        raise CardProtocolError(
            f"command APDU {apdu.hex().upper() or '(empty)'} has {len(apdu)} bytes: CLA INS P1 P2 expected"
        )
    response = _check_response(transmit_raw(apdu), apdu)
    if response[-2] == 0x6C:
        apdu = with_le(apdu, response[-1])
        response = _check_response(transmit_raw(apdu), apdu)
        if response[-2] == 0x6C:
            raise CardProtocolError(
                f"card answered 6C{response[-1]:02X} twice to {apdu[:4].hex().upper()}: "
                "it rejected the Le it asked for"
            )
    data = bytearray()
    for _ in range(MAX_GET_RESPONSES):
        if response[-2] != 0x61:
            return bytes(data) + response
        data += response[:-2]
        command = get_response_command(apdu[0], response[-1])
        response = _check_response(transmit_raw(command), command)
        if response[-2] == 0x6C:  # wrong Le on GET RESPONSE itself: ask again with the length it wants
            command = get_response_command(apdu[0], response[-1])
            response = _check_response(transmit_raw(command), command)
    raise CardProtocolError(
        f"card kept answering 61xx to {apdu[:4].hex().upper()} after {MAX_GET_RESPONSES} GET RESPONSEs"
    )
