"""The first call path: a customer dials a company number on the carrier trunk, the
employee's phone rings, answers, both hear each other, and hang-up tears everything down."""
import pytest

from .conftest import ALICE_NUMBER, CUSTOMER, UNKNOWN_NUMBER

pytestmark = pytest.mark.integration


def call_log(daemon):
    from callctl.store.calls import CallLog
    from callctl.store.db import make_engine, sessions
    return CallLog(sessions(make_engine(daemon.config["database"]["url"])))


def audible(samples) -> bool:
    """Sound, not silence: a prompt is playing."""
    return bool(samples) and (sum(x * x for x in samples) / len(samples)) ** 0.5 > 200


def connect(carrier, alice):
    """Customer calls Alice's number; Alice's phone rings with the customer's number."""
    call = carrier.call(ALICE_NUMBER, caller_id=CUSTOMER)
    ringing = alice.wait_incoming(timeout=5)
    assert ringing.remote_user == CUSTOMER
    call.wait_state("EARLY")  # the caller hears ringback (180) while Alice's phone rings
    ringing.answer()
    call.wait_state("CONFIRMED")
    ringing.wait_state("CONFIRMED")
    return call, ringing


def test_given_a_company_number_when_the_employee_answers_then_media_flows_both_ways(
        daemon, registered, carrier, ari):
    call, answered = connect(carrier, registered["alice"])
    started = daemon.wait_log("call.answered", employee="Alice Smith")
    assert len(ari.bridges()) == 1 and len(ari.bridges()[0]["channels"]) == 2

    call.play_tone(1000)
    answered.play_tone(1600)
    assert answered.hears_tone(1000) and not answered.hears_tone(1600)
    assert call.hears_tone(1600) and not call.hears_tone(1000)

    call.hangup()  # the customer hangs up first
    answered.wait_disconnected()
    assert answered.disconnected_by_remote
    ended = daemon.wait_log("call.ended", call=started["call"])
    assert ended["outcome"] == "answered"
    ari.assert_clean()
    record = call_log(daemon).get(started["call"])
    assert (record.direction, record.number, record.caller, record.answered_by, record.outcome) \
        == ("inbound", ALICE_NUMBER, CUSTOMER, "Alice Smith", "answered")
    assert 0 < record.ring_seconds < 5 and record.talk_seconds >= 3  # four tone windows


def test_given_a_bridged_call_when_the_employee_hangs_up_then_the_caller_is_released(
        daemon, registered, carrier, ari):
    call, answered = connect(carrier, registered["alice"])
    started = daemon.wait_log("call.answered")
    answered.hangup()
    call.wait_disconnected()
    assert call.disconnected_by_remote
    assert daemon.wait_log("call.hangup", call=started["call"])["by"] == "callee"
    daemon.wait_log("call.ended", call=started["call"], outcome="answered")
    ari.assert_clean()


def test_given_nobody_answers_when_the_timeout_passes_then_the_caller_is_told_and_released(
        daemon, registered, carrier, ari):
    call = carrier.call(ALICE_NUMBER, caller_id=CUSTOMER)
    ringing = registered["alice"].wait_incoming()
    started = daemon.wait_log("call.started", number=ALICE_NUMBER)
    ringing.wait_disconnected(timeout=8)  # Alice's phone stops ringing at the 4 s timeout
    # "Nobody is available" as early media: heard, but the call is never answered (not
    # billed), then refused with 480 Temporarily Unavailable.
    assert audible(call.record(0.5))
    call.wait_disconnected(timeout=15)
    assert call.disconnected_by_remote and (call.last_code, "CONFIRMED" in call._seen) == \
        (480, False)
    daemon.wait_log("call.ended", call=started["call"], outcome="missed")
    ari.assert_clean()
    record = call_log(daemon).get(started["call"])
    assert record.outcome == "missed" and record.answered_by is None
    assert 4 <= record.ring_seconds < 20


def test_given_an_unknown_number_when_called_then_not_in_service_prompt_and_log(
        daemon, registered, carrier, ari):
    call = carrier.call(UNKNOWN_NUMBER, caller_id=CUSTOMER)
    logged = daemon.wait_log("call.not_in_service", number=UNKNOWN_NUMBER)
    assert "not a company number" in daemon.wait_log("call.planned", call=logged["call"])["reason"]
    call.wait_state("EARLY")
    assert audible(call.record(0.5))  # early media: the caller's carrier bills nothing
    call.wait_disconnected(timeout=15)  # after "the number you have dialed is not in service"
    assert call.disconnected_by_remote and (call.last_code, "CONFIRMED" in call._seen) == \
        (404, False)
    daemon.wait_log("call.ended", call=logged["call"], outcome="not_in_service")
    ari.assert_clean()


def test_given_a_ringing_phone_when_the_caller_hangs_up_then_the_phone_stops_ringing(
        daemon, registered, carrier, ari):
    call = carrier.call(ALICE_NUMBER, caller_id=CUSTOMER)
    ringing = registered["alice"].wait_incoming()
    started = daemon.wait_log("call.started", number=ALICE_NUMBER)
    call.hangup()
    ringing.wait_disconnected()
    assert ringing.disconnected_by_remote
    ended = daemon.wait_log("call.ended", call=started["call"], outcome="missed")
    assert ended["detail"] == "caller hung up while ringing"
    ari.assert_clean()


def test_given_a_ringing_phone_when_it_rejects_then_nothing_is_left_behind(
        daemon, registered, carrier, ari):
    call = carrier.call(ALICE_NUMBER, caller_id=CUSTOMER)
    ringing = registered["alice"].wait_incoming()
    started = daemon.wait_log("call.started", number=ALICE_NUMBER)
    ringing.reject(486)
    # The only leg is gone: the block ends at once, not at its timeout.
    daemon.wait_log("call.unanswered", call=started["call"], timeout=2)
    call.wait_disconnected(timeout=15)
    daemon.wait_log("call.ended", call=started["call"], outcome="missed")
    ari.assert_clean()


def test_given_an_answer_when_the_caller_hangs_up_at_that_moment_then_all_is_torn_down(
        daemon, registered, carrier, ari):
    call = carrier.call(ALICE_NUMBER, caller_id=CUSTOMER)
    ringing = registered["alice"].wait_incoming()
    started = daemon.wait_log("call.started", number=ALICE_NUMBER)
    ringing.answer()
    call.hangup()
    ringing.wait_disconnected()
    daemon.wait_log("call.ended", call=started["call"])
    ari.assert_clean()


def test_given_two_calls_in_a_row_when_answered_then_one_bridge_serves_both_and_goes_at_stop(
        daemon, registered, carrier, ari):
    """An empty bridge is kept for the next call (two ARI requests a call fewer); the next
    call hears only itself, the customer's keys still reach the employee, and a stopped
    daemon leaves no bridge behind."""
    kept = []
    for n, tone in enumerate((1000, 1400)):
        call, answered = connect(carrier, registered["alice"])
        started = daemon.wait_log("call.answered", employee="Alice Smith")
        (bridge,) = ari.bridges()
        assert set(bridge["channels"]) == {started["call"], *(c["id"] for c in ari.channels()
                                                              if c["id"] != started["call"])}
        kept.append(bridge["id"])
        call.play_tone(tone)
        assert answered.hears_tone(tone) and not answered.hears_tone(1000 if n else 1400)
        call.send_dtmf(f"{n}#")  # no feature code: passed on by the daemon as it came
        registered["alice"].lab.wait_for(lambda: answered.dtmf_received == f"{n}#", 5)
        assert answered.dtmf_received == f"{n}#"
        call.hangup()
        answered.wait_disconnected()
        daemon.wait_log("call.ended", call=started["call"], outcome="answered")
        ari.assert_clean()
        assert [b["id"] for b in ari.get("/bridges")] == [bridge["id"]]  # empty, kept
    assert kept[0] == kept[1]
    assert daemon.stop() == 0
    try:
        assert ari.get("/bridges") == []
    finally:
        daemon.start()
