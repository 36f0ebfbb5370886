"""Read application data, EMV Book 3 section 10.2: READ RECORD every record the AFL names, keep the records marked
for offline data authentication (Book 3 10.3: value of '70' for SFI 1-10, the whole record for SFI 11-30),
refuse duplicates and check the mandatory data objects."""
from __future__ import annotations

from terminal.emv import apdu
from terminal.emv.context import KernelContext, Phase, exchange, parse_response
from terminal.emv.errors import CardDataError, CardStatusError
from terminal.emv.gpo import AflEntry

# Book 3 section 7.2: the card must return these (the kernel cannot go on without them)
MANDATORY = (0x5F24, 0x5A, 0x8C, 0x8D)


def read_application_data(ctx: KernelContext, afl: list[AflEntry], mandatory: tuple[int, ...] = MANDATORY
                          ) -> Phase[None]:
    for entry in afl:
        for record in range(entry.first, entry.last + 1):
            resp = yield from exchange(ctx, apdu.read_record(entry.sfi, record))
            if not resp.ok:
                raise CardStatusError(f"READ RECORD {entry.sfi}.{record}", resp.sw)
            objs = parse_response(resp.data, f"READ RECORD {entry.sfi}.{record}")
            for_oda = record < entry.first + entry.oda_count
            if not objs or objs[0].tag != 0x70 or len(objs) != 1:
                if entry.sfi <= 10:
                    raise CardDataError(f"READ RECORD {entry.sfi}.{record}: not a single record template 70")
                if for_oda:
                    ctx.oda_record_problem = True
                continue
            if for_oda:
                ctx.oda_static_data += objs[0].value if entry.sfi <= 10 else resp.data
            ctx.store_card(objs[0].children(), f"record {entry.sfi}.{record}")
    for tag in mandatory:
        ctx.require(tag, "application data")
    sda_list = ctx.card.get(0x9F4A)
    if sda_list is not None:
        # Book 3 10.3: the list may only name the AIP, which is appended to the static data
        if sda_list != b"\x82":
            ctx.oda_record_problem = True
        else:
            ctx.oda_static_data += ctx.card[0x82]


def card_pan(card: dict[int, bytes]) -> str:
    """The card's PAN: its own data object (5A), else the digits of its track 2 equivalent (57) before the 'D'
    separator. Book C-3 does not make 5A mandatory for a qVSDC card, and a card known only by its track 2
    must still meet the exception file, the risk rules and the masked PAN of its receipt."""
    pan = card.get(0x5A, b"").hex().upper().rstrip("F")
    return pan or card.get(0x57, b"").hex().upper().split("D")[0]
