"""The MSR605/MSR206 ESC command set, as data (from the public MSR605 and MSR206 programmer's manuals; see
docs/serial_msr.md for the list of facts relied on)."""
from __future__ import annotations

ESC = 0x1B
FS = 0x1C

CMD_RESET = b"\x1ba"            # no response
CMD_READ_ISO = b"\x1br"         # response: data block, then <ESC><status>
CMD_COMM_TEST = b"\x1be"        # response: <ESC> y
CMD_SENSOR_TEST = b"\x1b\x86"   # response: <ESC> 0 once a card is sensed
CMD_RAM_TEST = b"\x1b\x87"      # response: <ESC> 0 ok, <ESC> A failed

BLOCK_START = b"\x1bs"
BLOCK_END = b"?\x1c"            # the ending field, followed by <ESC><status>

# After <ESC>: the manuals write the track markers as <ESC>1.. but give them in hex as 1B 01..1B 03; both are
# accepted on input, 01..03 are sent by the emulator.
TRACK_MARKERS = {0x01: 1, 0x02: 2, 0x03: 3, ord("1"): 1, ord("2"): 2, ord("3"): 3}

# A single track's marker, right after the track marker: <ESC>+ nothing on the track, <ESC>* read error
# (as readers of this family send it; not in the manual's data-format page).
TRACK_EMPTY_MARK = ord("+")
TRACK_ERROR_MARK = ord("*")

STATUS_OK = "0"
STATUS_TEXT = {
    "0": "ok",
    "1": "read/write error",
    "2": "command format error",
    "4": "invalid command",
    "9": "invalid card swipe",
}
COMMAND_FAULT_STATUSES = frozenset("24")  # the driver's fault, not the card's

# Codes that may follow <ESC> outside a data block as a whole reply.
REPLY_CODES = frozenset("y0A1249")


def status_text(status: str) -> str:
    return STATUS_TEXT.get(status, f"unknown status 0x{ord(status):02X}")


def encode_block(tracks: dict[int, bytes | None], status: str, error_tracks: frozenset[int] = frozenset()) -> bytes:
    """A data block as the reader sends it: for the emulator and for tests. `None` leaves a track out;
    a number in error_tracks is sent with the read-error mark."""
    out = bytearray(BLOCK_START)
    for number in (1, 2, 3):
        if number in error_tracks:
            out += bytes((ESC, number, ESC, TRACK_ERROR_MARK))
        elif tracks.get(number) is not None:
            out += bytes((ESC, number)) + tracks[number]
    out += BLOCK_END + bytes((ESC, ord(status)))
    return bytes(out)
