"""The daemon's own faults: absent, stopped with calls up, wrong credentials."""
import signal
import time

import pytest

from tests.support.daemon import DaemonProcess
from tests.support.databases import writes_stalled

from .conftest import ALICE_NUMBER, BOB_NUMBER, CUSTOMER, MOBILE, cli, daemon_config
from .test_first_call import call_log, connect

pytestmark = pytest.mark.integration
DAEMON_CONFIG = {"project": {"sticky": True}}  # so the stalled-database test covers its lookup


def test_given_the_daemon_is_stopped_when_customers_call_then_asterisk_dials_the_fallback(
        daemon, registered, carrier, ari):
    daemon.stop()  # it wrote the fallback table into AstDB while it ran
    try:
        # 20 calls in a row: Alice's number falls back to Alice, straight from the dialplan;
        # every one is answered and has sound both ways.
        for n in range(20):
            call = carrier.call(ALICE_NUMBER, caller_id=f"+1555800{n:04d}")
            ringing = registered["alice"].wait_incoming()
            assert ringing.remote_user == f"+1555800{n:04d}"
            ringing.answer()
            call.wait_state("CONFIRMED")
            call.play_tone(1000)
            ringing.play_tone(1600)
            assert ringing.hears_tone(1000, seconds=0.3) and call.hears_tone(1600, seconds=0.3)
            call.hangup()
            ringing.wait_disconnected()

        # Bob's number rings Bob for its ring timeout, then its fallback: the head's mobile,
        # out through the trunk.
        call = carrier.call(BOB_NUMBER, caller_id=CUSTOMER)
        registered["bob"].wait_incoming().wait_disconnected(timeout=6)
        mobile = carrier.wait_incoming()
        assert (mobile.local_user, mobile.remote_user) == (MOBILE, CUSTOMER)
        mobile.answer()
        call.wait_state("CONFIRMED")
        mobile.hangup()
        call.wait_disconnected()
        ari.assert_clean()
    finally:
        daemon.start()


def test_given_ten_bridged_calls_when_the_daemon_is_killed_then_they_survive_and_are_adopted(
        daemon, registered, lab, asterisk, ari):
    # A test phone holds at most 4 calls (pjsua2's build), so 3 callers and 3 employees,
    # with call waiting on: each takes several calls at once.
    cli(daemon.path, "employees", "add", "--name", "Carol White", "--extension", "103",
        "--email", "carol@example.com", "--call-waiting")
    for name in ("Alice Smith", "Bob Jones"):
        cli(daemon.path, "employees", "edit", name, "--call-waiting")
    made = cli(daemon.path, "sip", "add", "--employee", "Carol White")
    cli(daemon.path, "numbers", "add", "--number", "+15550102", "--employee", "Carol White")
    carol = lab.phone(made["object"]["login"], made["password"],
                      registrar=f"127.0.0.1:{asterisk['staff_port']}")
    callers = [lab.agent(f"caller{n}", asterisk["carrier_host"], asterisk["carrier_port"] + n,
                         outbound_proxy=f"127.0.0.1:{asterisk['trunk_port']}")
               for n in (1, 2, 3)]
    try:
        carol.wait_registered()
        daemon.wait_log("sip.registration", login=made["object"]["login"], state="online")
        daemon.wait_directory_loaded()
        targets = [(ALICE_NUMBER, registered["alice"]), (BOB_NUMBER, registered["bob"]),
                   ("+15550102", carol)]
        calls = []
        for n in range(10):
            number, phone = targets[n % 3]
            call = callers[n % 3].call(number, caller_id=f"+1555900{n:04d}")
            answered = phone.wait_incoming()
            answered.answer()
            call.wait_state("CONFIRMED")
            calls.append((call, answered, daemon.wait_log("call.answered")["call"]))
        assert len(ari.bridges()) == 10
        survive_sigkill(daemon, calls, ari)
    finally:
        carol.close()
        for caller in callers:
            caller.close()
        cli(daemon.path, "employees", "delete", "Carol White", "--force")
        for name in ("Alice Smith", "Bob Jones"):
            cli(daemon.path, "employees", "edit", name, "--no-call-waiting")


def survive_sigkill(daemon, calls, ari):
    """SIGKILL with the calls up: media goes on; a restart adopts them all; records complete."""
    daemon.stop(signal.SIGKILL)
    for call, answered, _ in calls[:3]:  # media goes on without the daemon
        call.play_tone(1000)
        assert answered.hears_tone(1000, seconds=0.3)
        call.stop_tone()

    started = time.monotonic()
    daemon.start()
    adopted = {daemon.wait_log("call.adopted", timeout=2)["call"] for _ in calls}
    assert adopted == {call_id for _, _, call_id in calls}
    assert time.monotonic() - started < 2 + 1  # 2 s once running; ~1 s to start Python

    for call, answered, call_id in calls:
        answered.hangup()
        call.wait_disconnected()
        daemon.wait_log("call.ended", call=call_id, outcome="answered")
    ari.assert_clean()
    log = call_log(daemon)
    for _, _, call_id in calls:
        record = log.get(call_id)
        assert record.outcome == "answered" and record.talk_seconds > 0


def test_given_a_stalled_database_when_a_call_comes_then_it_still_rings_at_once(
        daemon, registered, carrier, ari):
    with writes_stalled(daemon.config["database"]["url"]):  # every call-log write waits
        placed = time.monotonic()
        call = carrier.call(ALICE_NUMBER, caller_id="+15559990001")
        ringing = registered["alice"].wait_incoming()
        ring_start = time.monotonic() - placed
        assert ring_start < 1.0, f"ring start took {ring_start:.2f} s with the database stalled"
        ringing.answer()
        call.wait_state("CONFIRMED")
    started = daemon.wait_log("call.answered")
    call.hangup()
    ringing.wait_disconnected()
    daemon.wait_log("call.ended", call=started["call"], outcome="answered")
    assert call_log(daemon).get(started["call"]).outcome == "answered"  # written once free
    ari.assert_clean()


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
        asterisk, tmp_path, database_url):
    config = daemon_config(asterisk, database_url)
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
