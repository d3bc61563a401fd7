"""The workspace's pure rules (domain/workspace.py) and its event hub (workspace/events.py):
who shows as available, who hears of which call, and what pages receive."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from callctl.domain.directory import Department, Directory, Employee, Presence, SipAccount
from callctl.domain.flow import Target
from callctl.calls.model import Call, Leg
from callctl.domain.catalog import Catalog
from callctl.domain.workspace import availability, colleagues, departments, hears_of
from callctl.store.api_tokens import Principal
from callctl.workspace.events import QUEUE_LIMIT, EventHub

ALICE = Employee("Alice Smith", "101", sip_logins=("alice",), department="Sales")
BOB = Employee("Bob Jones", "102", sip_logins=("bob",), department="Sales")
CAROL = Employee("Carol White", "103", phone_numbers=("+15550199",), department="Support")
DAN = Employee("Dan Brown", "104", sip_logins=("dan",), online=False)
DIRECTORY = Directory(employees=(DAN, CAROL, BOB, ALICE),
                      departments=(Department("Sales", "200"), Department("Support", "300")),
                      sip_accounts=(SipAccount("alice", "x", ALICE.name),
                                    SipAccount("bob", "x", BOB.name),
                                    SipAccount("dan", "x", DAN.name)))


@pytest.mark.parametrize("employee, presence, state", [
    (ALICE, Presence(frozenset({"alice"})), "available"),
    (ALICE, Presence(frozenset()), "unreachable"),  # on line, but no phone would ring
    (CAROL, Presence(frozenset()), "available"),  # a phone number always rings
    (ALICE, Presence(frozenset({"alice"}), busy=frozenset({ALICE.name})), "on_call"),
    (DAN, Presence(frozenset({"dan"})), "offline"),  # their own toggle wins
])
def test_given_presence_then_availability_is_what_routing_would_do(employee, presence, state):
    assert availability(employee, presence) == state


def test_given_the_directory_then_colleagues_are_listed_by_name_with_their_state():
    listed = colleagues(DIRECTORY, Presence(frozenset({"bob"})))
    assert [(c["name"], c["extension"], c["department"], c["state"]) for c in listed] == [
        ("Alice Smith", "101", "Sales", "unreachable"), ("Bob Jones", "102", "Sales", "available"),
        ("Carol White", "103", "Support", "available"), ("Dan Brown", "104", None, "offline")]


def test_given_the_directory_then_departments_say_how_many_a_call_would_ring():
    presence = Presence(frozenset({"alice", "bob"}), busy=frozenset({BOB.name}))
    assert departments(DIRECTORY, presence) == [
        {"name": "Sales", "extension": "200", "members": 2, "available": 1},  # Bob is busy
        {"name": "Support", "extension": "300", "members": 1, "available": 1}]


@pytest.mark.parametrize("level, me, parties, told", [
    ("operator", "Alice Smith", {"Alice Smith"}, True),
    ("operator", "Alice Smith", {"Bob Jones"}, False),  # a colleague's call: not hers
    ("manager", "Alice Smith", {"Bob Jones"}, True),  # her department's
    ("manager", "Alice Smith", {"Carol White"}, False),  # another department's
    ("manager", "Dan Brown", {"Dan Brown"}, True),
    ("manager", "Dan Brown", {"Alice Smith"}, False),  # a manager with no department
    ("admin", "Dan Brown", {"Carol White"}, True),
    ("admin", "Dan Brown", set(), True),
    ("operator", "Alice Smith", set(), False),  # a call nobody was rung for yet
])
def test_given_a_call_then_who_hears_of_it_follows_the_call_logs_rule(level, me, parties, told):
    assert hears_of(level, me, frozenset(parties), DIRECTORY) is told


def hub(presence=Presence(frozenset({"alice", "bob"})), pop=None) -> EventHub:
    catalog = Catalog(directory=DIRECTORY)
    state = SimpleNamespace(presence=presence)
    return EventHub(lambda: catalog, lambda: state.presence, pop), state


def inbound(caller="+15557654321") -> Call:
    return Call("c1", "inbound", "+15550100", caller)


def drain(sub) -> list[dict]:
    out = []
    while not sub.queue.empty():
        out.append(sub.queue.get_nowait())
    return out


async def test_given_a_ring_then_only_that_operator_and_managers_get_the_pop_with_the_card():
    seen = []
    h, _ = hub(pop=lambda number, call_id: seen.append((number, call_id)) or {"id": 7})
    alice = h.subscribe(Principal("Alice Smith", "operator"))
    bob = h.subscribe(Principal("Bob Jones", "operator"))
    boss = h.subscribe(Principal("Bob Jones", "manager"))
    call = inbound()
    leg = Leg("l1", "callee", Target("sip", "alice", ALICE.name))
    call.legs[leg.channel_id] = leg
    h.ringing(call, leg)
    await asyncio.gather(*h._tasks)
    assert seen == [("+15557654321", "c1")]
    (event,) = drain(alice)
    assert (event["type"], event["employee"], event["caller"], event["card"]) == \
        ("ringing", "Alice Smith", "+15557654321", {"id": 7})
    assert drain(bob) == [] and [e["type"] for e in drain(boss)] == ["ringing"]


async def test_given_no_page_that_would_hear_of_a_ring_then_no_card_is_looked_up():
    seen = []
    h, _ = hub(pop=lambda number, call_id: seen.append(number) or {"id": 7})
    leg = Leg("l1", "callee", Target("sip", "alice", ALICE.name))
    h.ringing(inbound(), leg)  # no page open at all
    bob = h.subscribe(Principal("Bob Jones", "operator"))  # hears of his own calls only
    h.ringing(inbound(), leg)
    await asyncio.gather(*h._tasks)
    assert seen == [] and drain(bob) == []
    alice = h.subscribe(Principal("Alice Smith", "operator"))
    h.ringing(inbound(), leg)
    await asyncio.gather(*h._tasks)
    assert seen == ["+15557654321"] and [e["type"] for e in drain(alice)] == ["ringing"]


async def test_given_a_failing_card_lookup_then_the_pop_still_goes_out_without_a_card():
    def broken(number, call_id):
        raise RuntimeError("database away")
    h, _ = hub(pop=broken)
    alice = h.subscribe(Principal("Alice Smith", "operator"))
    h.ringing(inbound(), Leg("l1", "callee", Target("sip", "alice", ALICE.name)))
    await asyncio.gather(*h._tasks)
    (event,) = drain(alice)
    assert event["type"] == "ringing" and "card" not in event


async def test_given_call_events_then_colleagues_hear_only_of_changed_availability():
    h, state = hub()
    h.refresh()  # what pages were told at start
    carol = h.subscribe(Principal("Carol White", "operator"))
    call = inbound()
    leg = Leg("l1", "callee", Target("sip", "alice", ALICE.name))
    call.legs[leg.channel_id], call.answered = leg, leg
    state.presence = Presence(frozenset({"alice", "bob"}), busy=frozenset({ALICE.name}))
    h.answered(call, leg)
    assert [(e["type"], e.get("name"), e.get("state"), e.get("available"))
            for e in drain(carol)] == [("colleague", "Alice Smith", "on_call", None),
                                       ("department", "Sales", None, 1)]  # not the call
    state.presence = Presence(frozenset({"alice", "bob"}))
    h.ended(call, "answered")
    h.refresh()  # nothing changed since: nothing sent
    assert [(e["type"], e.get("state"), e.get("available")) for e in drain(carol)] == \
        [("colleague", "available", None), ("department", None, 2)]


async def test_given_a_page_that_does_not_read_then_its_stream_ends_and_others_go_on():
    h, _ = hub()
    slow = h.subscribe(Principal("Dan Brown", "admin"))
    for n in range(QUEUE_LIMIT + 5):
        h.publish({"type": "incoming", "n": n}, None)
    events = drain(slow)
    assert len(events) == QUEUE_LIMIT + 1 and events[-1] is None  # the end of its stream
    fresh = h.subscribe(Principal("Dan Brown", "admin"))
    h.publish({"type": "incoming"}, None)
    assert drain(fresh) == [{"type": "incoming"}]
    h.close()
    assert drain(fresh) == [None]
