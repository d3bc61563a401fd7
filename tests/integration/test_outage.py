"""The call log never loses a call: calls that end while the daemon is down are completed
with Asterisk's end time, and calls the fallback took meanwhile are logged, once the daemon
is back (issue 10, items 1 and 2)."""
import signal
from datetime import datetime, timezone

import pytest

from .conftest import ALICE_NUMBER, BOB_NUMBER, cli
from .test_first_call import call_log, connect

pytestmark = pytest.mark.integration
EPOCH_S = 1.0  # the dialplan notes times in whole seconds


def utc() -> datetime:
    return datetime.now(timezone.utc)


def at(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def near(value: datetime, expected: datetime, slack: float = EPOCH_S + 0.5) -> bool:
    return abs((at(value) - expected).total_seconds()) <= slack


def fallback_call_answered(carrier, phone, caller_id: str, talk_s: float):
    """A customer calls while the daemon is down; the fallback rings `phone`, which
    answers; they talk `talk_s` seconds (the phone hears the customer), the customer hangs
    up. Returns when it rang, was answered and ended."""
    call = carrier.call(ALICE_NUMBER, caller_id=caller_id)
    ringing = phone.wait_incoming()
    placed = utc()
    ringing.answer()
    call.wait_state("CONFIRMED")
    answered = utc()
    call.play_tone(1000)
    assert ringing.hears_tone(1000, seconds=talk_s)  # takes talk_s
    call.hangup()
    ringing.wait_disconnected()
    return placed, answered, utc()


def logged(daemon, caller: str):
    """The call log's record of the one call from `caller`."""
    rows = [r for r in call_log(daemon).list_calls(limit=500).rows if r.caller == caller]
    assert len(rows) == 1, f"{len(rows)} records of calls from {caller}"
    return rows[0]


def test_given_a_killed_daemon_when_calls_end_and_the_fallback_takes_some_then_all_are_logged(
        daemon, registered, carrier, ari):
    bridged, at_alice = connect(carrier, registered["alice"])
    talking = daemon.wait_log("call.answered")
    ringing_call = carrier.call(BOB_NUMBER, caller_id="+15557100002")
    at_bob = registered["bob"].wait_incoming()
    ringing = daemon.wait_log("call.leg_ringing", employee="Bob Jones")
    daemon.stop(signal.SIGKILL)
    try:
        bridged.hangup()  # both end while nobody watches
        bridged_end = utc()
        ringing_call.hangup()
        ringing_end = utc()
        # Meanwhile customers call: the fallback takes them.
        placed, answered, ended = fallback_call_answered(carrier, registered["alice"],
                                                         "+15557100003", talk_s=2)
        missed = carrier.call(BOB_NUMBER, caller_id="+15557100004")
        registered["bob"].wait_incoming()
        missed.hangup()
    finally:
        daemon.start()
    caught_up = daemon.wait_log("calls.caught_up")
    assert caught_up["fallback_calls"] == "2" and caught_up["completed"] == "2"
    at_alice.wait_disconnected()  # the leg left in the bridge is hung up
    at_bob.wait_disconnected(timeout=10)
    ari.assert_clean()
    assert cli(daemon.path, "calls", "list", "--outcome", "in_progress")["calls"] == []

    log = call_log(daemon)
    record = log.get(talking["call"])  # ended 5 s before the daemon was back: Asterisk's time
    assert (record.outcome, record.ended_after) == ("answered", None)
    assert near(record.ended_at, bridged_end)
    assert abs(record.talk_seconds - (bridged_end - at(record.answered_at)).total_seconds()) \
        <= EPOCH_S + 0.5
    assert "ended while callctl was away" in record.detail
    record = log.get(ringing["call"])
    assert record.outcome == "missed" and near(record.ended_at, ringing_end)
    assert [leg.result for leg in record.legs] == ["cancelled"]

    record = logged(daemon, "+15557100003")
    assert (record.number, record.outcome, record.answered_by, record.answered_leg) == \
        (ALICE_NUMBER, "answered", "Alice Smith", f"PJSIP/{daemon.accounts['alice'][0]}")
    assert near(record.started_at, placed) and near(record.ended_at, ended)
    assert abs(record.talk_seconds - (ended - answered).total_seconds()) <= EPOCH_S + 0.5
    assert record.answered_department is None and "fallback" in record.detail
    record = logged(daemon, "+15557100004")
    assert (record.number, record.outcome, record.answered_by) == (BOB_NUMBER, "missed", None)


def test_given_a_stopped_daemon_when_a_kept_call_ends_and_the_fallback_answers_then_both_logged(
        daemon, registered, carrier, ari):
    bridged, at_alice = connect(carrier, registered["alice"])
    talking = daemon.wait_log("call.answered")
    assert daemon.stop(signal.SIGTERM) == 0  # the bridged call stays up in Asterisk
    try:
        bridged.hangup()
        bridged_end = utc()
        placed, answered, ended = fallback_call_answered(carrier, registered["alice"],
                                                         "+15557100005", talk_s=1.5)
    finally:
        daemon.start()
    daemon.wait_log("calls.caught_up")
    at_alice.wait_disconnected()
    ari.assert_clean()
    record = call_log(daemon).get(talking["call"])
    assert record.outcome == "answered" and near(record.ended_at, bridged_end)
    record = logged(daemon, "+15557100005")
    assert (record.outcome, record.answered_by) == ("answered", "Alice Smith")
    assert abs(record.talk_seconds - (ended - answered).total_seconds()) <= EPOCH_S + 0.5


def test_given_a_killed_daemon_when_the_person_hangs_up_then_caller_released_end_bounded(
        daemon, registered, carrier, ari):
    call, at_alice = connect(carrier, registered["alice"])
    talking = daemon.wait_log("call.answered")
    daemon.stop(signal.SIGKILL)
    try:
        at_alice.hangup()  # the caller stays in the bridge, alone: nobody ends it
        hung_up = utc()
    finally:
        daemon.start()
    call.wait_disconnected()  # released when the daemon is back, not rung again
    back = utc()
    daemon.wait_log("calls.caught_up")
    registered["alice"].expect_no_incoming(within=0.5)
    ari.assert_clean()
    record = call_log(daemon).get(talking["call"])
    assert record.outcome == "answered" and record.talk_seconds is None
    assert at(record.ended_after) == at(record.answered_at) < hung_up
    assert hung_up < at(record.ended_at) <= back
    assert "the person hung up between" in record.detail
