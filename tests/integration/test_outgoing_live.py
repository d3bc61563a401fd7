"""Outgoing calls on the real Asterisk: a staff phone dials an outside number and the
carrier sees the caller ID the rules chose (From); a barred account hears why and nothing
reaches the trunk; click-to-call rings the employee, then the number, in one call."""
import json
import urllib.request

import pytest

from .conftest import ALICE_NUMBER, BOB_NUMBER, cli
from .test_first_call import audible, call_log

pytestmark = pytest.mark.integration

UA_NUMBER = "+380441234567"  # a company number for calls to Ukraine
UA_CUSTOMER, US_CUSTOMER = "+380501112233", "+12025550143"


@pytest.fixture(scope="module")
def rules(daemon):
    """Company: ALICE_NUMBER everywhere; Alice: UA_NUMBER for +380; Bob is barred."""
    cli(daemon.path, "numbers", "add", "--number", UA_NUMBER, "--employee", "Alice Smith")
    cli(daemon.path, "outgoing", "rules", "add", "--company", "--number", ALICE_NUMBER)
    cli(daemon.path, "outgoing", "rules", "add", "--employee", "Alice Smith", "--prefix",
        "+380", "--number", UA_NUMBER)
    cli(daemon.path, "outgoing", "bar", daemon.accounts["bob"][0])
    daemon.wait_directory_loaded()
    yield
    cli(daemon.path, "outgoing", "unbar", daemon.accounts["bob"][0])


def dial_out(phone, carrier, number):
    """The staff phone dials; the carrier gets the call. Returns (caller's, carrier's)."""
    call = phone.call(number)
    at_carrier = carrier.wait_incoming(timeout=5)
    assert at_carrier.local_user == number
    return call, at_carrier


@pytest.mark.parametrize("number, shown", [(UA_CUSTOMER, UA_NUMBER),
                                           (US_CUSTOMER, ALICE_NUMBER)])
def test_given_rules_when_alice_dials_out_then_the_carrier_sees_the_chosen_number(
        daemon, registered, carrier, ari, rules, number, shown):
    call, at_carrier = dial_out(registered["alice"], carrier, number)
    assert at_carrier.remote_user == shown
    at_carrier.answer()
    call.wait_state("CONFIRMED")
    call.play_tone(1000)
    assert at_carrier.hears_tone(1000)
    outgoing = daemon.wait_log("call.outgoing", number=number)
    assert outgoing["caller_id"] == shown and outgoing["employee"] == "Alice Smith"
    at_carrier.hangup()
    call.wait_disconnected()
    daemon.wait_log("call.ended", call=outgoing["call"], outcome="answered")
    record = call_log(daemon).get(outgoing["call"])
    assert (record.direction, record.employee, record.number, record.caller_id,
            record.outcome) == ("outgoing", "Alice Smith", number, shown, "answered")
    assert record.talk_seconds > 1 and record.ring_seconds is not None
    ari.assert_clean()


def test_given_a_sip_account_rule_when_dialling_then_it_wins_over_the_employee_rule(
        daemon, registered, carrier, ari, rules):
    login = daemon.accounts["alice"][0]
    cli(daemon.path, "outgoing", "rules", "add", "--sip-account", login, "--prefix", "+3805",
        "--number", BOB_NUMBER)
    daemon.wait_directory_loaded()
    try:
        call, at_carrier = dial_out(registered["alice"], carrier, UA_CUSTOMER)
        assert at_carrier.remote_user == BOB_NUMBER
        at_carrier.reject(486)
        call.wait_disconnected(timeout=10)
        outgoing = daemon.wait_log("call.outgoing", number=UA_CUSTOMER)
        daemon.wait_log("call.ended", call=outgoing["call"], outcome="missed")
    finally:
        rule = next(r for r in cli(daemon.path, "outgoing", "rules", "list")
                    if r["scope"] == "sip_account")
        cli(daemon.path, "outgoing", "rules", "delete", str(rule["id"]))
        daemon.wait_directory_loaded()
    ari.assert_clean()


def test_given_a_barred_account_when_dialling_out_then_the_prompt_and_nothing_on_the_trunk(
        daemon, registered, carrier, ari, rules):
    call = registered["bob"].call(US_CUSTOMER)
    barred = daemon.wait_log("call.barred")
    call.wait_state("EARLY")
    assert audible(call.record(1.0))  # "Calls to outside numbers are not allowed ..."
    call.wait_disconnected(timeout=10)
    assert (call.last_code, "CONFIRMED" in call._seen) == (403, False)
    carrier.expect_no_incoming(within=0.5)
    daemon.wait_log("call.ended", call=barred["call"], outcome="barred")
    # ... while Bob still reaches colleagues.
    internal = registered["bob"].call("101")
    registered["alice"].wait_incoming(timeout=5).reject(486)
    internal.wait_disconnected(timeout=10)
    ari.assert_clean()


def test_given_click_to_call_when_the_employee_answers_then_the_number_rings_with_the_rule(
        daemon, registered, carrier, ari, rules):
    token = cli(daemon.path, "tokens", "create", "Alice Smith")["token"]
    request = urllib.request.Request(
        f"http://127.0.0.1:{daemon.config['http']['port']}/api/v1/calls", method="POST",
        data=json.dumps({"from": "Alice Smith", "to": UA_CUSTOMER}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as resp:
        placed = json.loads(resp.read())
    assert resp.status == 201 and placed["to"] == UA_CUSTOMER
    at_alice = registered["alice"].wait_incoming(timeout=5)  # her phone first
    assert at_alice.remote_user == UA_CUSTOMER
    carrier.expect_no_incoming(within=0.3)  # nothing is dialled before she answers
    at_alice.answer()
    at_carrier = carrier.wait_incoming(timeout=5)
    assert (at_carrier.local_user, at_carrier.remote_user) == (UA_CUSTOMER, UA_NUMBER)
    at_carrier.answer()
    at_carrier.play_tone(1600)
    assert at_alice.hears_tone(1600)
    at_alice.hangup()
    at_carrier.wait_disconnected()
    daemon.wait_log("call.ended", call=placed["call_id"], outcome="answered")
    record = call_log(daemon).get(placed["call_id"])
    assert (record.direction, record.employee, record.caller_id, record.number) == \
        ("outgoing", "Alice Smith", UA_NUMBER, UA_CUSTOMER)
    assert [leg.target for leg in record.legs] == [f"PJSIP/{UA_CUSTOMER}@carrier"]
    assert "click-to-call" in record.route
    ari.assert_clean()
