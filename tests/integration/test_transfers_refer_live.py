"""Transfers from the phone's transfer button: a SIP REFER, which PJSIP_TRANSFER_HANDLING=
ari-only turns into an ARI ChannelTransfer event; the phone is told how it went (NOTIFY)."""
import pytest

from .conftest import CUSTOMER
from .test_first_call import call_log
from .transfer_kit import (company, customer_to_alice, hang_up,  # noqa: F401
                           hears_ringback, staff, talk, transfers_of)

pytestmark = pytest.mark.integration
DAEMON_CONFIG = {"transfers": {"ring_timeout": 6}}


def test_given_alice_presses_transfer_to_bob_then_bob_gets_the_customer(
        daemon, staff, carrier, ari):
    call, alice, call_id = customer_to_alice(carrier, staff, daemon)
    alice.transfer("102")
    bob = staff["bob"].wait_incoming(timeout=5)
    assert bob.remote_user == CUSTOMER
    alice.wait_transfer_status(100)  # the phone is told the transfer is under way
    assert hears_ringback(call)
    bob.answer()
    alice.wait_transfer_status(200)
    alice.wait_disconnected()  # the phone hangs up once told it worked
    daemon.wait_log("call.transfer_ended", call=call_id, result="completed")
    talk(call, bob)
    hang_up(daemon, call_id, bob, call)
    (t,) = transfers_of(daemon, call_id)
    assert (t.mode, t.via, t.result, t.recipient) == ("blind", "refer", "completed",
                                                      "Bob Jones")


def test_given_alice_consults_bob_on_her_phone_when_she_transfers_then_they_join(
        daemon, staff, carrier, ari):
    call, alice, call_id = customer_to_alice(carrier, staff, daemon)
    alice.hold()
    consult = staff["alice"].call("102")
    bob = staff["bob"].wait_incoming(timeout=5)
    bob.answer()
    consult.wait_state("CONFIRMED")
    talk(consult, bob)
    alice.transfer_to(consult)
    alice.wait_transfer_status(200)
    daemon.wait_log("call.transfer_ended", call=call_id, result="completed",
                    mode="attended", via="refer")
    alice.wait_disconnected()
    consult.wait_disconnected()
    talk(call, bob)
    hang_up(daemon, call_id, call, bob)
    assert call_log(daemon).get(call_id).answered_by == "Bob Jones"


def test_given_a_refer_to_an_offline_colleague_then_refused_and_the_call_goes_on(
        daemon, staff, carrier, ari):
    call, alice, call_id = customer_to_alice(carrier, staff, daemon)
    staff["alice"].hang_up_after_transfer(False)
    alice.transfer("104")
    alice.wait_transfer_status(503)
    talk(call, alice)
    hang_up(daemon, call_id, alice, call)
    staff["alice"].hang_up_after_transfer(True)


def test_given_a_refer_nobody_answers_then_alice_is_told_and_has_the_customer_back(
        daemon, staff, carrier, ari):
    call, alice, call_id = customer_to_alice(carrier, staff, daemon)
    alice.transfer("102")
    bob = staff["bob"].wait_incoming(timeout=5)
    alice.wait_transfer_status(100)
    bob.wait_disconnected(timeout=DAEMON_CONFIG["transfers"]["ring_timeout"] + 3)
    alice.wait_transfer_status(603)  # the phone is told it did not work, and stays
    daemon.wait_log("call.transfer_ended", call=call_id, result="no_answer")
    talk(call, alice)
    hang_up(daemon, call_id, alice, call)
    assert call_log(daemon).get(call_id).answered_by == "Alice Smith"
    (t,) = transfers_of(daemon, call_id)
    assert (t.mode, t.via, t.result, t.recipient) == ("blind", "refer", "no_answer", None)
