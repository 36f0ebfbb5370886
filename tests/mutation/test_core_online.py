"""A chip sale that goes online, read back from the wire, the journal and the result: the 0200 carries the
chip's track 2 equivalent (never PAN and expiry beside it), its PSN, field 55 and an online PIN block; a
refund tells the card its transaction type; a cancel after the 0200 left reverses the approval (17); a card
pulled before the second GENERATE AC reverses it (06) naming why; the host unreachable with permissive
action codes becomes an offline approval (Y3); a provisioning bundle's kernel data follows the interface
the card was actually presented on."""
from __future__ import annotations

from dataclasses import replace

from drivers.emvspec.ber_tlv import parse_deep
from terminal.emv.outcome import Decision, Outcome
from terminal.store.states import SafKind, TxnState
from terminal.txn import core as c
from terminal.txn.emv_params import emv_config
from tests.mutation.core_world import VISA_PAN, Chip, keypad, wire

CANCEL_LINE = "CANCELLED: sale reversed, customer not charged"


def tags(message) -> dict[int, bytes]:
    return {t.tag: t.value for t in parse_deep(bytes(message.fields[55]))}


def chip_sale(terminal, profile: str, amount: int, kind: str = "purchase", **kw):
    card = Chip(profile, terminal.driver.cfg)
    return terminal.driver.sale(kind, amount, card.reader, pinpad=card.pinpad, **kw), card


def test_an_online_chip_approval_sends_track_2_equivalent_psn_and_field_55(terminal):
    sent = wire(terminal)
    result, _ = chip_sale(terminal, "visa", 2000)
    row = terminal.journal.txn(result.id)
    [m] = sent
    assert (m.mti, m.fields[3], m.fields[22], m.fields[23], m.fields[35]) == (
        "0200", "000000", "051", "001", "4761739001010010=301220100000000")
    assert 2 not in m.fields and 14 not in m.fields and 52 not in m.fields
    assert tags(m)[0x9C] == b"\x00" and tags(m)[0x9F27] == b"\x80"      # a purchase; an ARQC
    charge = terminal.host.charges[-1]
    assert (result.outcome, result.auth_code, result.rrn) == ("approved", row.auth_code, row.rrn)
    assert (row.state, row.rrn, row.auth_code, row.psn, row.tsc) == (TxnState.APPROVED, charge.rrn,
                                                                     f"{int(charge.rrn) % 1_000_000:06d}", "001", 1)


def test_an_online_pin_rides_in_field_52(terminal):
    sent = wire(terminal)
    result, _ = chip_sale(terminal, "unionpay", 2000)
    [m] = sent
    assert result.outcome == "approved" and len(bytes(m.fields[52])) == 8


def test_a_chip_refund_tells_the_card_its_transaction_type(terminal):
    sent = wire(terminal)
    result, _ = chip_sale(terminal, "visa", 2000, kind="refund")
    [m] = sent
    assert (result.outcome, m.fields[3], tags(m)[0x9C]) == ("approved", "200000", b"\x20")


def test_a_cancel_confirmed_while_the_host_works_reverses_the_chip_approval_with_17(terminal):
    sent = wire(terminal)
    result, _ = chip_sale(terminal, "visa", 3000,
                          operator=keypad(terminal, 3000, [(0.01, "CANCEL"), (0.02, "ENTER")]))
    row = terminal.journal.txn(result.id)
    assert (result.outcome, result.exit_code, result.message) == ("reversed", 3, CANCEL_LINE)
    assert (row.state, row.message) == (TxnState.REVERSED, CANCEL_LINE)
    assert [e[1:] for e in terminal.journal.events(row.id)][1:3] == [
        (TxnState.APPROVED, "host approved"),
        (TxnState.REVERSAL_PENDING, "operator cancelled after the request was sent")]
    assert [(m.mti, m.fields.get(39)) for m in sent] == [("0200", None), ("0400", "17")]
    assert sent[1].fields[37] == row.rrn


def test_a_card_pulled_before_the_second_generate_ac_reverses_the_approval_with_06(terminal):
    sent = wire(terminal)
    card = Chip("visa", terminal.driver.cfg)
    result = terminal.driver.sale("purchase", 3100, card.reader, pinpad=card.pinpad,
                                  on_request_sent=lambda: card.channel.remove())
    row = terminal.journal.txn(result.id)
    assert (result.outcome, result.message) == ("reversed", "DECLINED BY CARD: sale reversed, customer not charged")
    assert terminal.journal.events(row.id)[2][1:] == (
        TxnState.REVERSAL_PENDING, "chip: card error: reader 'emulated': the card was removed before 00820000")
    assert [(m.mti, m.fields.get(39)) for m in sent] == [("0200", None), ("0400", "06")]


def permissive(terminal, contactless: bool = False):
    """Kernel data as a provisioning bundle could ship it: TAC-Default all zero, so the card may approve
    when the host cannot be reached (Y3)."""
    base = emv_config(terminal.driver.cfg, contactless=contactless)
    return replace(base, aids=tuple(replace(a, tac_default=bytes(5)) for a in base.aids))


def test_host_unreachable_and_the_chip_approves_offline_y3_with_its_advice(terminal):
    terminal.net.down = True
    terminal.driver.emv = permissive(terminal)
    result, _ = chip_sale(terminal, "visa", 3200)
    row = terminal.journal.txn(result.id)
    line = "APPROVED (OFFLINE, HOST UNREACHABLE)"
    assert (result.outcome, result.exit_code, result.message, result.response_code) == ("offline_approved", 0, line,
                                                                                          "Y3")
    assert (row.state, row.message, row.response_code) == (TxnState.ADVICE_PENDING, line, "Y3")
    assert [e[1:] for e in terminal.journal.events(row.id)][1:] == [
        (TxnState.NOT_SENT, "sim: host unreachable (outage): nothing sent"),
        (TxnState.ADVICE_PENDING, "host unreachable, approved offline by the chip (Y3); advice queued")]
    [advice] = terminal.journal.saf_pending()
    assert (advice.kind, advice.reason_code, advice.stan) == (SafKind.ADVICE, "Y3", row.stan)
    terminal.net.down = False
    sent = wire(terminal)
    terminal.driver.drain(force=True)
    [m] = sent
    assert (m.mti, m.fields[39], m.fields[2], m.fields[14], m.fields[11]) == ("0220", "Y3", VISA_PAN, "3012",
                                                                             f"{row.stan:06d}")
    assert tags(m)[0x9F27] == b"\x40"


def test_a_bundle_made_for_contact_still_runs_a_tapped_card_as_contactless(terminal):
    terminal.net.down = True
    terminal.driver.emv = permissive(terminal, contactless=False)
    result, _ = chip_sale(terminal, "contactless", 3300)
    row = terminal.journal.txn(result.id)
    assert (result.outcome, result.entry_mode, row.entry_mode) == ("not_sent", "071", "071")
    assert terminal.journal.events(row.id)[-1][2] == "sim: host unreachable (outage): nothing sent; declined by " \
                                                    "the chip (Z3)"


def test_a_bundle_made_for_contactless_runs_an_inserted_card_as_contact(terminal):
    sent = wire(terminal)
    terminal.driver.emv = emv_config(terminal.driver.cfg, contactless=True)
    result, _ = chip_sale(terminal, "visa", 2000)
    [m] = sent
    assert (result.outcome, result.entry_mode, m.fields[22]) == ("approved", "051", "051")


def test_chip_data_without_track_2_equivalent_goes_as_pan_and_expiry():
    """A card that gives no tag 57: the 0200 must carry PAN and expiry (fields 2 and 14) and the PIN block."""
    outcome = Outcome(Decision.ONLINE_APPROVED, "", pan=VISA_PAN, expiry="3012", psn="01", track2="",
                      pin_block=b"\x01" * 8)
    card = c._card_of(outcome, b"\x9f\x27\x01\x80")
    assert (card.track2, card.pan, card.expiry, card.psn, card.pin_block, card.icc) == (
        None, VISA_PAN, "3012", "01", b"\x01" * 8, b"\x9f\x27\x01\x80")
    assert (card.masked_pan, card.entry_mode) == ("476173******0010", "051")
    with_57 = c._card_of(replace(outcome, track2="4761739001010010=301220100000000"), None)
    assert (with_57.track2, with_57.pan, with_57.expiry) == ("4761739001010010=301220100000000", None, None)


def test_host_unreachable_and_the_card_pulled_before_its_second_generate_ac_says_both(terminal):
    terminal.net.down = True
    whole = Chip("visa", terminal.driver.cfg)
    terminal.driver.sale("purchase", 2000, whole.reader, pinpad=whole.pinpad)   # counts the sale's APDUs
    card = Chip("visa", terminal.driver.cfg, pull_before=whole.apdus)         # the last: GENERATE AC 2
    result = terminal.driver.sale("purchase", 2000, card.reader, pinpad=card.pinpad)
    row = terminal.journal.txn(result.id)
    assert (result.outcome, result.message, row.state) == (
        "not_sent", "HOST UNREACHABLE: card not charged, try again", TxnState.NOT_SENT)
    assert terminal.journal.events(row.id)[-1][2] == (
        "sim: host unreachable (outage): nothing sent; chip: card error: reader 'emulated': the card was removed"
        " before 80AE0000")
