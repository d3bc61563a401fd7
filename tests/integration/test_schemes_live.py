"""Forwarding schemes on a real call: the seed recipes, each with the call-log record it
produced. Timeouts are shortened to a few seconds."""
import time
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from .conftest import BOB_NUMBER, CUSTOMER, MOBILE, cli
from .test_first_call import call_log

pytestmark = pytest.mark.integration

DAEMON_CONFIG = {"project": {"timezone": "UTC", "sticky": True}}
SALES = BOB_NUMBER  # the company number the recipes are assigned to
# Sticky routing is on in this module: each recipe calls from its own number so that an
# earlier recipe's answered call does not put someone first.
T = 3  # block timeout, seconds


def use_scheme(daemon, tmp_path, doc: dict) -> None:
    path = tmp_path / f"{doc['name']}.yaml"
    path.write_text(yaml.safe_dump(doc))
    cli(daemon.path, "schemes", "add", str(path), "--replace")
    cli(daemon.path, "schemes", "assign", SALES, doc["name"])
    daemon.wait_directory_loaded()


def always(*blocks, name="always"):
    return {"name": name, "blocks": [{"timeout": t, "directions": d} for t, d in blocks]}


def legs_of(daemon, call_id):
    record = call_log(daemon).get(call_id)
    return record, [(leg.target, leg.result) for leg in record.legs]


def test_recipe_1_sequential_managers_then_the_heads_mobile(daemon, registered, carrier,
                                                            tmp_path):
    alice, bob = daemon.accounts["alice"][0], daemon.accounts["bob"][0]
    use_scheme(daemon, tmp_path, {"name": "Sales team", "kind": "sequential", "branches": [
        always((T, [{"employee": "Alice Smith"}, {"employee": "Bob Jones"}]),
               (T, [{"phone_number": MOBILE}]))]})
    call = carrier.call(SALES, caller_id=CUSTOMER)
    at_alice = registered["alice"].wait_incoming()
    started = daemon.wait_log("call.planned", scheme="Sales team")
    registered["bob"].expect_no_incoming(within=T - 1)  # Bob only after Alice timed out
    at_alice.wait_disconnected(timeout=T + 1)
    at_bob = registered["bob"].wait_incoming()
    at_bob.answer()
    call.wait_state("CONFIRMED")
    call.hangup()
    at_bob.wait_disconnected()
    daemon.wait_log("call.ended", call=started["call"], outcome="answered")
    carrier.expect_no_incoming(within=0.5)  # the mobile never rang
    record, legs = legs_of(daemon, started["call"])
    assert (record.answered_by, record.scheme, record.branch) == \
        ("Bob Jones", "Sales team", "always")
    assert legs == [(f"PJSIP/{alice}", "no_answer"), (f"PJSIP/{bob}", "answered")]


def test_recipe_2_parallel_all_desks_then_all_mobiles(daemon, registered, carrier, tmp_path):
    alice, bob = daemon.accounts["alice"][0], daemon.accounts["bob"][0]
    use_scheme(daemon, tmp_path, {"name": "Everyone", "kind": "parallel", "branches": [
        always((T, [{"sip_account": alice}, {"sip_account": bob}]),
               (T, [{"phone_number": "+15550171"}, {"phone_number": "+15550172"}]))]})
    call = carrier.call(SALES, caller_id="+15557000002")
    at_alice = registered["alice"].wait_incoming()
    at_bob = registered["bob"].wait_incoming()  # both desks ring together
    started = daemon.wait_log("call.planned", scheme="Everyone")
    at_alice.wait_disconnected(timeout=T + 1)
    at_bob.wait_disconnected(timeout=1)
    mobiles = [carrier.wait_incoming(), carrier.wait_incoming()]
    assert sorted(m.local_user for m in mobiles) == ["+15550171", "+15550172"]
    mobiles[1].answer()
    call.wait_state("CONFIRMED")
    mobiles[0].wait_disconnected()  # the first answer cancels the other mobile at once
    assert mobiles[0].disconnected_by_remote
    call.hangup()
    mobiles[1].wait_disconnected()
    daemon.wait_log("call.ended", call=started["call"], outcome="answered")
    _, legs = legs_of(daemon, started["call"])
    assert sorted(result for _, result in legs) == \
        ["answered", "cancelled", "no_answer", "no_answer"]


def test_recipe_3_another_pbx_first_then_a_backup_number(daemon, registered, carrier,
                                                          tmp_path, asterisk):
    other_pbx = f"sip:300@{asterisk['carrier_host']}:{asterisk['carrier_port']}"
    use_scheme(daemon, tmp_path, {"name": "Partner", "kind": "sequential", "branches": [
        always((T, [{"sip_uri": other_pbx}]), (T, [{"phone_number": "+15550188"}]))]})
    call = carrier.call(SALES, caller_id="+15557000003")
    at_partner = carrier.wait_incoming()
    assert at_partner.local_user == "300" and at_partner.remote_user == "+15557000003"
    started = daemon.wait_log("call.planned", scheme="Partner")
    at_partner.wait_disconnected(timeout=T + 1)
    backup = carrier.wait_incoming()
    assert backup.local_user == "+15550188"
    backup.answer()
    call.wait_state("CONFIRMED")
    backup.hangup()
    call.wait_disconnected()
    daemon.wait_log("call.ended", call=started["call"], outcome="answered")


def test_recipe_4_working_hours_pick_the_branch_by_the_clock(daemon, registered, carrier,
                                                             tmp_path):
    # The daemon's own clock decides; the schedules are set around today instead of
    # waiting for a weekend (the planner's unit tests pin exact Saturdays).
    today = datetime.now(timezone.utc)
    day = lambda d: d.strftime("%a").lower()  # noqa: E731
    tomorrow = today + timedelta(days=1)

    def scheme(weekday_days):
        return {"name": "Hours", "kind": "sequential", "branches": [
            {"name": "weekday", "schedule": {"days": weekday_days},
             "blocks": [{"timeout": T, "directions": [{"employee": "Alice Smith"}]}]},
            {"name": "weekend", "blocks": [{"timeout": T,
                                            "directions": [{"employee": "Bob Jones"}]}]}]}

    for weekday_days, who, branch in ((day(today), "alice", "weekday"),
                                      (day(tomorrow), "bob", "weekend")):
        use_scheme(daemon, tmp_path, scheme(weekday_days))
        call = carrier.call(SALES, caller_id="+15557000004")
        ringing = registered[who].wait_incoming()
        planned = daemon.wait_log("call.planned", scheme="Hours")
        assert planned["branch"] == branch
        call.hangup()
        ringing.wait_disconnected()
        daemon.wait_log("call.ended", call=planned["call"])


def test_recipe_5_offline_people_are_skipped_without_waiting(daemon, registered, carrier,
                                                             tmp_path):
    cli(daemon.path, "employees", "edit", "Alice Smith", "--no-online")
    try:
        for kind, blocks in (("sequential", [(10, [{"employee": "Alice Smith"},
                                                   {"employee": "Bob Jones"}])]),
                             ("parallel", [(10, [{"employee": "Alice Smith"}]),
                                           (10, [{"employee": "Bob Jones"}])])):
            use_scheme(daemon, tmp_path, {"name": f"Skip {kind}", "kind": kind,
                                          "branches": [always(*blocks)]})
            placed = time.monotonic()
            call = carrier.call(SALES, caller_id="+15557000005")
            ringing = registered["bob"].wait_incoming(timeout=3)
            assert time.monotonic() - placed < 2, "waited out an offline person's timeout"
            registered["alice"].expect_no_incoming(within=0.2)
            call.hangup()
            ringing.wait_disconnected()
    finally:
        cli(daemon.path, "employees", "edit", "Alice Smith", "--online")


def test_recipe_6_sticky_a_caller_reaches_who_they_talked_to_today(daemon, registered,
                                                                    carrier, tmp_path):
    use_scheme(daemon, tmp_path, {"name": "Sticky", "kind": "sequential", "branches": [
        always((T, [{"employee": "Alice Smith"}, {"employee": "Bob Jones"}]))]})
    repeat_caller = "+15557000006"
    # This morning: Alice did not pick up, Bob did.
    call = carrier.call(SALES, caller_id=repeat_caller)
    first = daemon.wait_log("call.planned", scheme="Sticky")
    assert "sticky" not in first  # nobody talked to this caller yet today
    registered["alice"].wait_incoming().wait_disconnected(timeout=T + 1)
    at_bob = registered["bob"].wait_incoming()
    at_bob.answer()
    call.wait_state("CONFIRMED")
    call.hangup()
    at_bob.wait_disconnected()
    daemon.wait_log("call.ended", call=first["call"], outcome="answered")
    # Now the same caller again: Bob first.
    call = carrier.call(SALES, caller_id=repeat_caller)
    at_bob = registered["bob"].wait_incoming()
    planned = daemon.wait_log("call.planned", scheme="Sticky")
    assert planned["sticky"] == "Bob Jones" and planned["call"] != first["call"]
    registered["alice"].expect_no_incoming(within=0.5)
    at_bob.answer()
    call.wait_state("CONFIRMED")
    call.hangup()
    at_bob.wait_disconnected()
    daemon.wait_log("call.ended", call=planned["call"], outcome="answered")



def test_given_a_person_on_a_call_when_more_calls_come_then_they_move_on_at_once(
        daemon, registered, carrier, tmp_path, lab, asterisk):
    """Issue 10: calls ringing someone who answers another call stop ringing them and go
    on with their scheme, and a later call does not ring them at all (no call waiting)."""
    use_scheme(daemon, tmp_path, {"name": "Busy", "kind": "sequential", "branches": [
        always((20, [{"employee": "Alice Smith"}]), (20, [{"employee": "Bob Jones"}]))]})
    customers = lab.agent("customers", asterisk["carrier_host"], asterisk["carrier_port"] + 9,
                          outbound_proxy=f"127.0.0.1:{asterisk['trunk_port']}",
                          display_name="Ann Customer")
    try:
        calls = customers.call_many([SALES, SALES], caller_id="+15557000010")
        at_alice = [registered["alice"].wait_incoming(), registered["alice"].wait_incoming()]
        at_alice[0].answer()  # Alice takes one of the two calls...
        at_alice[1].wait_disconnected(timeout=2)  # ...the other stops ringing her at once
        assert at_alice[1].disconnected_by_remote
        at_bob = registered["bob"].wait_incoming(timeout=2)  # and rings Bob, not after 20 s
        busy = daemon.wait_log("call.leg_busy", employee="Alice Smith")
        calls.append(customers.call(SALES, caller_id="+15557000011"))
        registered["bob"].wait_incoming(timeout=3)  # straight to Bob: Alice is busy
        registered["alice"].expect_no_incoming(within=0.5)
        for call in calls:
            call.hangup()
        at_bob.wait_disconnected()
        daemon.wait_log("call.ended", call=busy["call"])
        record, legs = legs_of(daemon, busy["call"])
        assert legs[0][1] == "busy" and (record.caller, record.caller_name) == \
            ("+15557000010", "Ann Customer")
    finally:
        customers.close()
