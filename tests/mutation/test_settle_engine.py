"""The Engine facade (the void's and settlement's way into the core) and the acquirer's link as the configuration
describes it: what each call hands the driver, what an offline approval journals, what it refuses and why."""
from __future__ import annotations

from dataclasses import replace

import pytest

from terminal.config import HostConfig
from terminal.link.client import Endpoint
from terminal.store.states import TxnState
from terminal.txn.acquirer import acquirer_link, endpoints
from terminal.txn.crashpoints import CrashPoints
from terminal.txn.engine import Engine
from terminal.txn.records import CardInput
from terminal.txn.sealing import unseal
from tests.mutation.test_saf_drain import refused_reversal

SWIPE = CardInput("901", "476173******0010", track2="4761739001010010=30121010000000000")
CHIP = CardInput("051", "476173******0010", pan="4761739001010010", expiry="3112", psn="01",
                 icc=bytes.fromhex("9F2608A1B2C3D4E5F607189F270140"))


def engine_over(terminal, reached: list) -> Engine:
    d = terminal.driver
    return Engine(d.cfg, d.journal, terminal.net, clock=terminal.clock, crash=CrashPoints(reached.append))


def test_an_engine_runs_the_sale_on_its_own_config_journal_link_clock_and_crash_points(terminal):
    reached: list = []
    e = engine_over(terminal, reached)
    assert (e.cfg, e.journal, e.link, e.clock) == (terminal.driver.cfg, terminal.journal, terminal.net,
                                                   terminal.clock)
    started = terminal.clock.now().local
    result = e.sale("purchase", 1234, SWIPE)
    row = terminal.journal.txn(result.id)
    assert (result.outcome, row.kind, row.amount, row.entry_mode, row.local_time) == (
        "approved", "purchase", 1234, "901", started)
    assert reached[:4] == ["before_write_ahead", "after_write_ahead", "after_send", "after_response"]
    assert terminal.host.charges[-1].amount == 1234 and terminal.host.charges[-1].proc == "000000"


def test_authorise_returns_the_row_as_it_ended_and_the_cores_verdict(terminal):
    e = Engine.of(terminal.driver)
    assert e.driver is terminal.driver
    row, verdict = e.authorise("refund", 700, SWIPE)
    assert row == terminal.journal.txn(row.id)
    assert (row.kind, row.proc_code, row.amount, row.state, verdict.state) == (
        "refund", "200000", 700, TxnState.APPROVED, "approved")
    declined, verdict = e.authorise("purchase", 1300, SWIPE)      # the simulated issuer declines 13s
    assert (declined.state, declined.response_code, verdict.state) == (TxnState.DECLINED, "51", "declined")


def test_a_void_through_the_engine_names_its_original(terminal):
    e = Engine.of(terminal.driver)
    sale, _ = e.authorise("purchase", 500, SWIPE)
    void, verdict = e.authorise("void", 500, CardInput("901", sale.masked_pan), original=sale)
    assert (void.original_id, verdict.state) == (sale.id, "approved")
    assert terminal.journal.txn(sale.id).state is TxnState.VOIDED
    assert terminal.host.charges[-1].voids is not None


def test_drain_saf_waits_for_the_backoff_unless_forced(terminal):
    row = refused_reversal(terminal)
    e = Engine.of(terminal.driver)
    assert (e.drain_saf().pending, terminal.host.received) == (1, [])
    report = e.drain_saf(force=True)
    assert (report.delivered, report.pending) == (1, 0)
    assert terminal.journal.txn(row.id).state is TxnState.REVERSED


def test_recover_queues_a_reversal_for_what_a_crash_left_in_doubt(terminal):
    j = terminal.journal
    row = j.begin(kind="purchase", proc_code="000000", amount=10, currency="156", local_time=terminal.clock.now().local,
                  transmitted="1201093000", entry_mode="901", masked_pan="476173******0010", psn=None,
                  original_id=None, tsc=None)
    assert Engine.of(terminal.driver).recover() == [row.id]
    assert j.txn(row.id).state is TxnState.REVERSAL_PENDING


@pytest.mark.parametrize("mode", ["051", "052", "071", "072"])
def test_an_offline_approval_journals_the_row_and_its_sealed_advice(terminal, mode):
    e = Engine.of(terminal.driver)
    when = terminal.clock.now().local
    row = e.approve_offline("purchase", 300, replace(CHIP, entry_mode=mode), "Y3")
    assert (row.kind, row.proc_code, row.amount, row.currency, row.entry_mode, row.local_time) == (
        "purchase", "000000", 300, "156", mode, when)
    assert (row.state, row.response_code, row.message, row.tsc, row.psn) == (
        TxnState.ADVICE_PENDING, "Y3", "APPROVED (OFFLINE)", None, "01")   # until the host has its advice
    [advice] = terminal.journal.saf_pending()
    card = unseal(terminal.driver.cfg.keys.data_key, row.id, advice.sealed)
    assert (card.pan, card.expiry, card.icc, card.psn) == (CHIP.pan, CHIP.expiry, CHIP.icc, "01")


@pytest.mark.parametrize("missing", ["pan", "expiry", "icc"])
def test_an_offline_approval_without_the_chips_data_is_refused(terminal, missing):
    with pytest.raises(ValueError) as e:
        Engine.of(terminal.driver).approve_offline("purchase", 300, replace(CHIP, **{missing: None}), "Y1")
    assert str(e.value) == "an offline approval needs the chip's PAN, expiry and ICC data"
    assert terminal.journal.txns() == []


def test_only_a_chip_may_approve_offline(terminal):
    with pytest.raises(ValueError) as e:
        Engine.of(terminal.driver).approve_offline("purchase", 300, replace(CHIP, entry_mode="901"), "Y1")
    assert str(e.value) == "entry mode 901: only a chip may approve offline"
    assert terminal.journal.txns() == []


def test_the_acquirer_link_has_every_address_primary_first_with_the_tls_they_share():
    h = HostConfig(addresses=("10.0.0.1:5000", "backup.example:6000"), connect_timeout_s=3.5,
                   tls_ca_file="/etc/posterm/ca.pem", tls_cert_file="/etc/posterm/term.pem",
                   tls_key_file="/etc/posterm/term.key", tls_server_name="acq.example")
    tls = dict(connect_timeout_s=3.5, tls_ca_file="/etc/posterm/ca.pem", tls_server_name="acq.example",
               tls_cert_file="/etc/posterm/term.pem", tls_key_file="/etc/posterm/term.key")
    assert endpoints(h) == [Endpoint("10.0.0.1", 5000, **tls), Endpoint("backup.example", 6000, **tls)]
    link = acquirer_link(h)
    assert [x.endpoint for x in link.links] == endpoints(h)


def test_without_tls_settings_the_endpoints_carry_none_and_the_single_address_is_used():
    assert endpoints(HostConfig(address="127.0.0.1:5001", connect_timeout_s=2.0)) == [
        Endpoint("127.0.0.1", 5001, connect_timeout_s=2.0, tls_ca_file=None, tls_server_name=None,
                 tls_cert_file=None, tls_key_file=None)]
    assert [x.endpoint.port for x in acquirer_link(HostConfig(address="127.0.0.1:5001")).links] == [5001]
