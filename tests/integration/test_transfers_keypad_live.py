"""Transfers from the phone's keypad on real calls: `##` + number + `#` (blind) and `*2` +
number + `#` (attended; then `*2` completes, `*1` goes back), heard at every phone."""
import pytest

from .conftest import CUSTOMER
from .test_first_call import audible, call_log
from .transfer_kit import (DEPARTMENT, alice_keys_bob, company, customer_to_alice,  # noqa: F401
                           hang_up, hears_music, hears_ringback, staff, talk, transfers_of)

pytestmark = pytest.mark.integration
DAEMON_CONFIG = {"transfers": {"ring_timeout": 6}}


def consulting(daemon, staff, carrier):
    """Alice, talking to a customer, keys an attended transfer to Bob, who answers:
    (the customer's call, Alice's, Bob's, the call id)."""
    call, alice, call_id, bob = alice_keys_bob(carrier, staff, daemon, "*2")
    bob.answer()
    daemon.wait_log("call.transfer_answered", call=call_id)
    return call, alice, bob, call_id


def test_given_a_customer_with_alice_when_she_keys_blind_to_bob_then_they_talk(
        daemon, staff, carrier, ari):
    call, alice, call_id = customer_to_alice(carrier, staff, daemon)
    talk(call, alice)
    alice.send_dtmf("##102#")
    bob = staff["bob"].wait_incoming(timeout=5)
    assert bob.remote_user == CUSTOMER  # Bob sees who he gets
    alice.wait_disconnected()  # the transferer is done at once
    assert hears_ringback(call)  # the customer hears ringback meanwhile
    bob.answer()
    daemon.wait_log("call.transfer_ended", call=call_id, result="completed")
    talk(call, bob, 1200, 1800)
    assert call.dtmf_received == ""  # the code never reached the customer
    hang_up(daemon, call_id, bob, call)
    ari.assert_clean()
    record = call_log(daemon).get(call_id)
    assert record.answered_by == "Bob Jones"  # the one who ends up with it
    (t,) = transfers_of(daemon, call_id)
    assert (t.mode, t.via, t.transferer, t.target, t.result, t.recipient) == (
        "blind", "keypad", "Alice Smith", "102", "completed", "Bob Jones")


def test_given_alice_keys_attended_when_she_completes_then_the_customer_talks_to_bob(
        daemon, staff, carrier, ari):
    call, alice, call_id, bob = alice_keys_bob(carrier, staff, daemon, "*2")
    assert bob.remote_user == "101"  # Bob sees Alice calling, not the customer
    assert hears_music(call)  # the customer waits on hold
    assert hears_ringback(alice)  # Alice hears Bob's phone ring
    bob.answer()
    daemon.wait_log("call.transfer_answered", call=call_id, recipient="Bob Jones")
    talk(alice, bob)  # the consultation
    assert hears_music(call)  # the customer still on hold, not hearing them
    alice.send_dtmf("*2")
    alice.wait_disconnected()
    daemon.wait_log("call.transfer_ended", call=call_id, result="completed")
    talk(call, bob, 1200, 1800)
    hang_up(daemon, call_id, call, bob)
    assert call_log(daemon).get(call_id).answered_by == "Bob Jones"
    (t,) = transfers_of(daemon, call_id)
    assert (t.mode, t.via, t.result, t.recipient) == ("attended", "keypad", "completed",
                                                      "Bob Jones")


def test_given_a_consultation_when_alice_cancels_then_she_has_the_customer_again(
        daemon, staff, carrier, ari):
    call, alice, bob, call_id = consulting(daemon, staff, carrier)
    alice.send_dtmf("*1")
    bob.wait_disconnected()
    daemon.wait_log("call.transfer_ended", call=call_id, result="cancelled")
    talk(call, alice)
    hang_up(daemon, call_id, alice, call)
    assert call_log(daemon).get(call_id).answered_by == "Alice Smith"


def test_given_a_blind_transfer_to_the_department_when_carol_answers_then_she_has_it(
        daemon, staff, carrier, ari):
    call, alice, call_id = customer_to_alice(carrier, staff, daemon)
    alice.send_dtmf(f"##{DEPARTMENT}#")
    bob = staff["bob"].wait_incoming(timeout=5)
    carol = staff["carol"].wait_incoming(timeout=5)  # every member rings
    alice.wait_disconnected()
    carol.answer()
    bob.wait_disconnected()  # the first answer wins
    daemon.wait_log("call.transfer_ended", call=call_id, result="completed",
                    recipient="Carol White")
    talk(call, carol)
    hang_up(daemon, call_id, carol, call)
    assert call_log(daemon).get(call_id).answered_by == "Carol White"


def test_given_a_blind_transfer_nobody_takes_then_alice_rings_again_and_has_it_back(
        daemon, staff, carrier, ari):
    call, alice, call_id, bob = alice_keys_bob(carrier, staff, daemon, "##")
    alice.wait_disconnected()
    assert hears_ringback(call)
    bob.wait_disconnected(timeout=DAEMON_CONFIG["transfers"]["ring_timeout"] + 3)
    again = staff["alice"].wait_incoming(timeout=5)  # never dropped: back to Alice
    assert again.remote_user == CUSTOMER
    again.answer()
    talk(call, again)
    hang_up(daemon, call_id, call, again)
    (t,) = transfers_of(daemon, call_id)
    assert (t.result, t.recipient) == ("no_answer", None)


def test_given_an_offline_colleague_when_keyed_then_refused_and_the_call_goes_on(
        daemon, staff, carrier, ari):
    call, alice, call_id = customer_to_alice(carrier, staff, daemon)
    alice.send_dtmf("##104#")
    refused = daemon.wait_log("call.transfer_refused", call=call_id)
    assert "Dan Brown" in refused["reason"]
    assert audible(alice.record(1))  # Alice hears why (the customer is silent)
    # Asterisk takes Alice out of the mix while the prompt plays; then the call goes on.
    call.play_tone(1000)
    assert any(alice.hears_tone(1000) for _ in range(4))
    call.stop_tone()
    hang_up(daemon, call_id, alice, call)
    (t,) = transfers_of(daemon, call_id)
    assert t.result == "refused"


def test_given_a_consultation_nobody_answers_then_alice_has_the_customer_again(
        daemon, staff, carrier, ari):
    call, alice, call_id, bob = alice_keys_bob(carrier, staff, daemon, "*2")
    bob.wait_disconnected(timeout=DAEMON_CONFIG["transfers"]["ring_timeout"] + 3)
    daemon.wait_log("call.transfer_ended", call=call_id, result="no_answer")
    talk(call, alice)
    hang_up(daemon, call_id, call, alice)


def test_given_a_consultation_when_alice_hangs_up_then_the_customer_talks_to_bob(
        daemon, staff, carrier, ari):
    call, alice, bob, call_id = consulting(daemon, staff, carrier)
    alice.hangup()  # as good as completing
    daemon.wait_log("call.transfer_ended", call=call_id, result="completed")
    talk(call, bob)
    hang_up(daemon, call_id, bob, call)


def test_given_a_consultation_when_the_customer_hangs_up_then_alice_and_bob_talk_on(
        daemon, staff, carrier, ari):
    call, alice, bob, call_id = consulting(daemon, staff, carrier)
    call.hangup()
    daemon.wait_log("call.transfer_ended", call=call_id, result="abandoned")
    talk(alice, bob)
    hang_up(daemon, call_id, bob, alice)


def test_given_bob_declines_an_attended_transfer_then_alice_has_the_customer_again(
        daemon, staff, carrier, ari):
    call, alice, call_id, bob = alice_keys_bob(carrier, staff, daemon, "*2")
    assert hears_ringback(alice)
    bob.reject(486)  # busy here
    daemon.wait_log("call.transfer_ended", call=call_id, result="declined")
    talk(call, alice)
    hang_up(daemon, call_id, alice, call)
    assert call_log(daemon).get(call_id).answered_by == "Alice Smith"
    (t,) = transfers_of(daemon, call_id)
    assert (t.mode, t.result, t.recipient) == ("attended", "declined", None)


def test_given_alice_hangs_up_while_bob_still_rings_then_the_customer_waits_and_gets_bob(
        daemon, staff, carrier, ari):
    call, alice, call_id, bob = alice_keys_bob(carrier, staff, daemon, "*2")
    assert hears_music(call)
    alice.hangup()
    daemon.wait_log("call.transfer", call=call_id, state="blind", on="transferer_gone")
    assert hears_ringback(call)  # from music to ringback: it goes on as a blind transfer
    bob.answer()
    daemon.wait_log("call.transfer_ended", call=call_id, result="completed")
    talk(call, bob)
    hang_up(daemon, call_id, bob, call)
    assert call_log(daemon).get(call_id).answered_by == "Bob Jones"
    (t,) = transfers_of(daemon, call_id)
    assert (t.mode, t.result, t.recipient) == ("attended", "completed", "Bob Jones")
