"""The daemon SIGKILLed in the middle of a transfer, on real calls: at each stage (the
caller on hold while the recipient rings, the consultation, a blind transfer ringing, after
completion) the parties who talked talk on, heard both ways; a restarted daemon goes on
with the transfer where it was (a recipient still ringing is kept and connected on
answer); the call log ends complete, the transfer in it; nothing is left in Asterisk."""
import signal

import pytest

from .test_first_call import call_log
from .transfer_kit import (alice_keys_bob, company, customer_to_alice, hang_up,  # noqa: F401
                           hears_music, hears_ringback, staff, talk, transfers_of)

pytestmark = pytest.mark.integration
# Long enough for the recipient to ring through a kill and a restart.
DAEMON_CONFIG = {"transfers": {"ring_timeout": 20}}
CADENCE_S = 4.5  # ringback is 2 s on, 4 s off: a window this long hears some of it


def restart(daemon, call_id, **adopted):
    """SIGKILL, start again: the call's transfer is taken up again (`adopted`: as what)."""
    daemon.stop(signal.SIGKILL)
    daemon.start()
    return daemon.wait_log("call.transfer_adopted", call=call_id, **adopted)


def logged(daemon, call_id, answered_by, result="completed", mode="attended", via="keypad"):
    """The call's record is complete, with the transfer in it."""
    record = call_log(daemon).get(call_id)
    assert (record.outcome, record.answered_by) == ("answered", answered_by)
    assert record.ended_at is not None and record.talk_seconds > 0
    (t,) = transfers_of(daemon, call_id)
    assert (t.mode, t.via, t.transferer, t.result) == (mode, via, "Alice Smith", result)


def test_given_the_caller_on_hold_while_bob_rings_when_killed_then_bob_answers_and_gets_it(
        daemon, staff, carrier, ari):
    call, alice, call_id, bob = alice_keys_bob(carrier, staff, daemon, "*2")
    assert hears_music(call)  # on hold (the stage is marked before the music starts)
    restart(daemon, call_id, stage="ringback", state="ringback", ringing="1")
    assert hears_music(call) and hears_ringback(alice, CADENCE_S)  # as before: Bob rings
    bob.answer()
    daemon.wait_log("call.transfer_answered", call=call_id, recipient="Bob Jones")
    talk(alice, bob)  # the consultation
    assert hears_music(call)
    alice.send_dtmf("*2")
    alice.wait_disconnected()
    daemon.wait_log("call.transfer_ended", call=call_id, result="completed")
    talk(call, bob, 1200, 1800)
    hang_up(daemon, call_id, call, bob)
    ari.assert_clean()
    logged(daemon, call_id, "Bob Jones")


def test_given_the_caller_on_hold_when_bob_declines_while_killed_then_back_to_alice(
        daemon, staff, carrier, ari):
    call, alice, call_id, bob = alice_keys_bob(carrier, staff, daemon, "*2")
    assert hears_music(call)
    daemon.stop(signal.SIGKILL)
    bob.reject(486)  # while nobody watched
    daemon.start()
    daemon.wait_log("call.transfer_adopted", call=call_id, stage="ringback", ringing="0",
                    missed="declined")
    daemon.wait_log("call.transfer_ended", call=call_id, result="declined")
    talk(call, alice)  # off hold, with Alice again
    hang_up(daemon, call_id, alice, call)
    ari.assert_clean()
    logged(daemon, call_id, "Alice Smith", result="declined")


def test_given_a_consultation_when_killed_then_they_talk_on_and_alice_goes_back(
        daemon, staff, carrier, ari):
    call, alice, call_id, bob = alice_keys_bob(carrier, staff, daemon, "*2")
    bob.answer()
    daemon.wait_log("call.transfer_answered", call=call_id)
    talk(alice, bob)
    daemon.stop(signal.SIGKILL)
    talk(alice, bob)  # the consultation goes on without the daemon
    assert hears_music(call)
    daemon.start()
    daemon.wait_log("call.transfer_adopted", call=call_id, stage="answered", talking="True")
    talk(alice, bob)
    assert hears_music(call)  # still on hold, until Alice says what to do
    alice.send_dtmf("*1")  # she goes back to the caller
    bob.wait_disconnected()
    daemon.wait_log("call.transfer_ended", call=call_id, result="cancelled")
    talk(call, alice, 1200, 1800)
    hang_up(daemon, call_id, alice, call)
    ari.assert_clean()
    logged(daemon, call_id, "Alice Smith", result="cancelled")


def test_given_a_blind_transfer_ringing_when_killed_then_bob_answers_and_gets_the_caller(
        daemon, staff, carrier, ari):
    call, alice, call_id, bob = alice_keys_bob(carrier, staff, daemon, "##")
    alice.wait_disconnected()
    assert hears_ringback(call)
    restart(daemon, call_id, stage="blind", state="blind", ringing="1")
    assert hears_ringback(call, CADENCE_S)  # waiting, not dropped
    bob.answer()
    daemon.wait_log("call.transfer_ended", call=call_id, result="completed")
    talk(call, bob)
    hang_up(daemon, call_id, bob, call)
    ari.assert_clean()
    logged(daemon, call_id, "Bob Jones", mode="blind")


def test_given_a_refer_ringing_when_killed_then_bob_answers_and_alice_s_phone_is_told(
        daemon, staff, carrier, ari):
    call, alice, call_id = customer_to_alice(carrier, staff, daemon)
    alice.transfer("102")  # the phone's transfer button: it waits to be told how it went
    bob = staff["bob"].wait_incoming(timeout=5)
    alice.wait_transfer_status(100)
    restart(daemon, call_id, stage="blind", state="blind", ringing="1", transferer="True")
    bob.answer()
    alice.wait_transfer_status(200)  # told by the restarted daemon
    alice.wait_disconnected()
    daemon.wait_log("call.transfer_ended", call=call_id, result="completed")
    talk(call, bob)
    hang_up(daemon, call_id, bob, call)
    ari.assert_clean()
    logged(daemon, call_id, "Bob Jones", mode="blind", via="refer")


def test_given_a_completed_transfer_when_killed_then_caller_and_bob_talk_on(
        daemon, staff, carrier, ari):
    call, alice, call_id, bob = alice_keys_bob(carrier, staff, daemon, "##")
    bob.answer()
    daemon.wait_log("call.transfer_ended", call=call_id, result="completed")
    talk(call, bob)
    daemon.stop(signal.SIGKILL)
    talk(call, bob, 1200, 1800)  # without the daemon
    daemon.start()
    daemon.wait_log("call.adopted", call=call_id)
    talk(call, bob)
    hang_up(daemon, call_id, call, bob)
    ari.assert_clean()
    logged(daemon, call_id, "Bob Jones", mode="blind")


def test_given_a_blind_transfer_bob_declines_while_killed_then_alice_rings_again_and_has_it(
        daemon, staff, carrier, ari):
    call, alice, call_id, bob = alice_keys_bob(carrier, staff, daemon, "##")
    alice.wait_disconnected()
    daemon.stop(signal.SIGKILL)
    bob.hangup()  # declined while nobody watched
    daemon.start()
    daemon.wait_log("call.transfer_adopted", call=call_id, stage="blind", state="blind",
                    ringing="0", missed="declined")
    again = staff["alice"].wait_incoming(timeout=5)  # never left waiting: back to Alice
    again.answer()
    talk(call, again)
    hang_up(daemon, call_id, call, again)
    ari.assert_clean()
    logged(daemon, call_id, "Alice Smith", result="declined", mode="blind")
