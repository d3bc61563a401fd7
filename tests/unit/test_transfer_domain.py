"""Transfers, the pure part: the attended transfer's states and whom a transfer rings."""
from dataclasses import replace

import pytest

from callctl.domain.catalog import Catalog
from callctl.domain.directory import CompanyNumber, Department, Directory, Employee, Presence
from callctl.domain.flow import Target
from callctl.domain.outgoing import CallerIdRule, OutgoingPolicy
from callctl.domain.scheme import Direction
from callctl.domain.transfer import (TERMINAL, TRANSITIONS, Refused, next_state, resolve,
                                     result_of)

ALICE = Employee("Alice Smith", "101", ("alice",), department="Sales")
BOB = Employee("Bob Jones", "102", ("bob",), ("+15550199",), department="Sales")
CAROL = Employee("Carol White", "103", ("carol",), department="Sales", online=False)
DAN = Employee("Dan Brown", "104", ("dan",), department="Support")
DIRECTORY = Directory(employees=(ALICE, BOB, CAROL, DAN),
                      departments=(Department("Sales", "600"), Department("Support", "700")),
                      numbers=(CompanyNumber("+15550100", "Alice Smith"),))
CATALOG = Catalog(DIRECTORY, routes={"+15550111": Direction("employee", "Bob Jones")})
EVERYONE = Presence(frozenset({"alice", "bob", "carol", "dan"}))
POLICY = OutgoingPolicy(rules=(CallerIdRule("company", "", "+15550100"),))


def ring(to, presence=EVERYONE, policy=POLICY, transferer="Alice Smith", login="alice",
         on_call=frozenset({"Alice Smith"})):
    return resolve(to, CATALOG, presence, policy, transferer, login, on_call)


# --- states ------------------------------------------------------------------------------

def walk(*events):
    state = "ready"
    for event in events:
        state = next_state(state, event)
    return state


@pytest.mark.parametrize("events, end", [
    (("ringing", "answered", "complete"), "completed"),
    (("ringing", "answered", "transferer_gone"), "completed"),  # hung up: completes
    (("ringing", "answered", "cancel"), "cancelled"),
    (("ringing", "answered", "recipient_gone"), "cancelled"),
    (("ringing", "no_answer"), "cancelled"),
    (("ringing", "declined"), "cancelled"),
    (("ringing", "cancel"), "cancelled"),
    (("ringing", "transferer_gone", "answered"), "completed"),  # like a blind transfer
    (("ringing", "complete", "answered"), "completed"),
    (("ringing", "transferer_gone", "no_answer"), "failed"),
    (("ringing", "transferee_gone"), "abandoned"),
    (("ringing", "answered", "transferee_gone"), "abandoned"),
    (("blind", "answered"), "completed"),
    (("blind", "declined"), "failed"),
    (("blind", "transferee_gone"), "abandoned"),
])
def test_given_an_attended_transfer_when_events_come_then_it_ends_in_the_right_state(events,
                                                                                   end):
    assert walk(*events) == end and end in TERMINAL


@pytest.mark.parametrize("state, event", [
    ("blind", "cancel"), ("blind", "complete"), ("answered", "answered"),
    ("ringback", "recipient_gone"), ("ready", "complete"),
])
def test_given_a_state_when_an_event_that_does_not_apply_then_nothing_changes(state, event):
    assert next_state(state, event) is None


def test_given_a_terminal_state_when_anything_happens_then_it_stays():
    assert not [key for key in TRANSITIONS if key[0] in TERMINAL]


@pytest.mark.parametrize("state, event, result", [
    ("completed", "complete", "completed"), ("cancelled", "cancel", "cancelled"),
    ("cancelled", "no_answer", "no_answer"), ("cancelled", "declined", "declined"),
    ("failed", "no_answer", "no_answer"), ("failed", "declined", "declined"),
    ("abandoned", "transferee_gone", "abandoned"),
])
def test_given_how_a_transfer_ended_when_logged_then_its_result(state, event, result):
    assert result_of(state, event) == result


# --- whom it rings -------------------------------------------------------------------------

def test_given_an_extension_when_resolved_then_the_colleague_s_phones():
    r = ring("102")
    assert (r.label, r.targets, r.employee) == (
        "Bob Jones (102)", (Target("sip", "bob", "Bob Jones"),
                            Target("phone", "+15550199", "Bob Jones")), "Bob Jones")


def test_given_a_name_in_any_case_when_resolved_then_that_colleague():
    assert ring("bob jones").label == "Bob Jones (102)"


def test_given_a_department_when_resolved_then_every_reachable_member_but_the_transferer():
    r = ring("600")
    assert r.label == "the Sales department (600)"
    assert {t.employee for t in r.targets} == {"Bob Jones"}  # Carol offline, Alice is on it
    assert "Carol White offline" in r.note


def test_given_an_offline_colleague_when_resolved_then_refused_with_the_reason_and_a_prompt():
    with pytest.raises(Refused) as refused:
        ring("103")
    assert "Carol White (103) cannot take the call now: offline" in str(refused.value)
    assert refused.value.prompt.name == "vm-nobodyavail"


def test_given_an_unregistered_phone_when_resolved_then_refused():
    with pytest.raises(Refused, match="not registered"):
        ring("104", presence=Presence(frozenset({"alice", "bob"})))


def test_given_a_busy_colleague_when_resolved_then_refused():
    busy = Presence(EVERYONE.registered, busy=frozenset({"Dan Brown"}))
    with pytest.raises(Refused, match="busy on another call"):
        ring("104", presence=busy)


@pytest.mark.parametrize("to, words", [
    ("101", "is you"), ("", "say where to transfer"), ("999", "no extension, colleague"),
    ("+15550100", "is a company number"), ("+15550111", "is a company number"),
])
def test_given_a_target_nobody_can_take_when_resolved_then_refused_naming_it(to, words):
    with pytest.raises(Refused, match=words):
        ring(to)


def test_given_the_transferee_is_a_colleague_when_transferred_to_them_then_refused():
    with pytest.raises(Refused, match="on this call already"):
        ring("102", on_call=frozenset({"Alice Smith", "Bob Jones"}))


def test_given_an_outside_number_when_resolved_then_the_trunk_with_the_rule_s_caller_id():
    r = ring("(202) 555-0143")
    assert (r.targets, r.caller_id) == ((Target("phone", "+12025550143"),), "+15550100")
    assert "company" in r.rule


def test_given_no_rule_when_transferring_out_then_no_caller_id_of_its_own():
    r = ring("+12025550143", policy=OutgoingPolicy())
    assert r.caller_id is None and r.rule is None


def test_given_a_barred_account_when_transferring_out_then_refused():
    with pytest.raises(Refused, match="barred") as refused:
        ring("+12025550143", policy=replace(POLICY, barred=frozenset({"alice"})))
    assert refused.value.prompt.name == "outgoing-barred"

