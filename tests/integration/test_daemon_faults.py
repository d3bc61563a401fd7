"""The daemon's own faults: absent, stopped with calls up, wrong credentials."""
import signal

import pytest

from tests.support.daemon import DaemonProcess

from .conftest import ALICE_NUMBER, BOB_NUMBER, CUSTOMER, daemon_config
from .test_first_call import call_log, connect

pytestmark = pytest.mark.integration


def test_given_the_daemon_is_stopped_when_customers_call_then_asterisk_dials_the_fallback(
        daemon, registered, carrier, ari):
    daemon.stop()  # it wrote the fallback table into AstDB while it ran
    try:
        # Alice's number falls back to Alice herself, straight from the dialplan.
        call = carrier.call(ALICE_NUMBER, caller_id=CUSTOMER)
        ringing = registered["alice"].wait_incoming()
        assert ringing.remote_user == CUSTOMER
        ringing.answer()
        call.wait_state("CONFIRMED")
        call.play_tone(1000)
        assert ringing.hears_tone(1000)
        call.hangup()
        ringing.wait_disconnected()

        # Bob's number falls back to the head's mobile, out through the trunk.
        call = carrier.call(BOB_NUMBER, caller_id=CUSTOMER)
        mobile = carrier.wait_incoming()
        assert mobile.remote_user == CUSTOMER
        mobile.answer()
        call.wait_state("CONFIRMED")
        mobile.hangup()
        call.wait_disconnected()
        ari.assert_clean()
    finally:
        daemon.start()


def test_given_bridged_calls_when_the_daemon_gets_sigterm_then_calls_stay_up_and_are_adopted(
        daemon, registered, carrier, ari):
    call, answered = connect(carrier, registered["alice"])
    started = daemon.wait_log("call.answered")
    assert daemon.stop(signal.SIGTERM) == 0
    # The call outlives the daemon, with media both ways.
    call.play_tone(1000)
    assert answered.hears_tone(1000)
    assert len(ari.bridges()) == 1

    daemon.start()
    daemon.wait_log("call.adopted", call=started["call"])
    answered.play_tone(1600)
    assert call.hears_tone(1600)
    answered.hangup()
    call.wait_disconnected()
    daemon.wait_log("call.ended", call=started["call"], outcome="answered")
    ari.assert_clean()
    record = call_log(daemon).get(started["call"])
    assert record.outcome == "answered" and record.talk_seconds >= 2


def test_given_a_ringing_call_when_the_daemon_is_killed_then_restart_resumes_it(
        daemon, registered, carrier, ari):
    call = carrier.call(ALICE_NUMBER, caller_id=CUSTOMER)
    registered["alice"].wait_incoming()
    started = daemon.wait_log("call.leg_ringing")
    daemon.stop(signal.SIGKILL)
    daemon.start()
    daemon.wait_log("call.resumed", call=started["call"])
    ringing = registered["alice"].wait_incoming()  # rung again; the orphaned leg is gone
    ringing.answer()
    call.wait_state("CONFIRMED")
    call.hangup()
    ringing.wait_disconnected()
    daemon.wait_log("call.ended", call=started["call"], outcome="answered")
    ari.assert_clean()


def test_given_wrong_ari_password_when_started_then_it_keeps_retrying_and_reports_not_ready(
        asterisk, tmp_path):
    config = daemon_config(asterisk, tmp_path / "callctl.db")
    config["ari"]["password"] = "wrong"
    proc = DaemonProcess(tmp_path, config).start(wait_ready=False)
    try:
        first = proc.wait_log("ari.disconnected")
        assert "refused the credentials" in first["reason"]
        proc.wait_log("ari.disconnected")  # and again: it retries rather than exits
        status, body = proc.health()
        assert status == 503 and body["ready"] is False
        assert "refused the credentials" in body["ari"]
        assert proc.proc.poll() is None
    finally:
        assert proc.stop() == 0
