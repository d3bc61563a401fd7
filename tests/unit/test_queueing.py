"""Queue strategies with app_queue's meanings, over many simulated calls."""
import random
from collections import Counter

import pytest

from callctl.domain.directory import ALL_REACHABLE, Department, Directory, Employee, Presence
from callctl.domain.flow import Target
from callctl.domain.queue import QueueError, operators, queue_from_dict, queue_to_dict
from callctl.domain.queueing import Operator, Stats, pick

OPS = [Operator(name, (Target("sip", name.lower()),), i)
       for i, name in enumerate(["Ann", "Ben", "Cat", "Dan"])]
ANN, BEN, CAT, DAN = OPS


def names(ops):
    return [o.party for o in ops]


def test_given_ringall_when_picked_then_every_free_operator_in_order():
    assert names(pick("ringall", [CAT, ANN], OPS)) == ["Ann", "Cat"]


def test_given_linear_when_picked_then_always_the_first_free_in_configured_order():
    assert names(pick("linear", [DAN, BEN, CAT], OPS)) == ["Ben"]
    assert names(pick("linear", [DAN, BEN, CAT], OPS, last_offered="Ben")) == ["Ben"]


def test_given_rrmemory_when_picked_then_it_resumes_after_the_last_offered():
    assert names(pick("rrmemory", OPS, OPS, last_offered="Ben")) == ["Cat"]
    assert names(pick("rrmemory", OPS, OPS, last_offered="Dan")) == ["Ann"]  # wraps round
    # The next after Ben is Cat, but Cat is busy: Dan, then round to Ann.
    assert names(pick("rrmemory", [ANN, DAN], OPS, last_offered="Ben")) == ["Dan"]
    assert names(pick("rrmemory", [ANN], OPS, last_offered="Ben")) == ["Ann"]
    assert names(pick("rrmemory", OPS, OPS, last_offered=None)) == ["Ann"]


def test_given_rrmemory_over_10000_calls_then_each_operator_gets_a_fair_share():
    rng, offered, last = random.Random(7), Counter(), None
    for _ in range(10_000):
        free = [o for o in OPS if rng.random() > 0.3] or [OPS[0]]  # some are busy
        chosen, = pick("rrmemory", free, OPS, last_offered=last)
        offered[chosen.party] += 1
        last = chosen.party
    shares = [offered[o.party] / 10_000 for o in OPS]
    assert all(abs(share - 0.25) < 0.03 for share in shares), offered


def test_given_rrmemory_with_all_free_then_strict_rotation():
    last, order = None, []
    for _ in range(8):
        chosen, = pick("rrmemory", OPS, OPS, last_offered=last)
        order.append(chosen.party)
        last = chosen.party
    assert order == ["Ann", "Ben", "Cat", "Dan"] * 2


def test_given_leastrecent_when_picked_then_longest_since_last_call_never_first_ties_in_order():
    stats = {"Ann": Stats(last_ended=100.0), "Ben": Stats(last_ended=50.0),
             "Cat": Stats(last_ended=50.0)}
    assert names(pick("leastrecent", [ANN, BEN, CAT], OPS, stats=stats)) == ["Ben"]
    assert names(pick("leastrecent", OPS, OPS, stats=stats)) == ["Dan"]  # never had one


def test_given_fewestcalls_when_picked_then_fewest_answered_today_ties_in_order():
    stats = {"Ann": Stats(answered_today=3), "Ben": Stats(answered_today=1),
             "Cat": Stats(answered_today=1), "Dan": Stats(answered_today=2)}
    assert names(pick("fewestcalls", OPS, OPS, stats=stats)) == ["Ben"]
    assert names(pick("fewestcalls", [ANN, DAN], OPS, stats=stats)) == ["Dan"]


def test_given_fewestcalls_over_many_calls_then_answered_counts_stay_level():
    answered = Counter()
    for _ in range(1_000):
        stats = {o.party: Stats(answered_today=answered[o.party]) for o in OPS}
        chosen, = pick("fewestcalls", OPS, OPS, stats=stats)
        answered[chosen.party] += 1
    assert set(answered.values()) == {250}


def test_given_random_when_picked_often_then_every_free_one_is_chosen_about_evenly():
    rng = random.Random(1)
    counts = Counter(pick("random", [ANN, BEN, CAT], OPS, rng=rng)[0].party
                     for _ in range(6_000))
    assert set(counts) == {"Ann", "Ben", "Cat"} and min(counts.values()) > 1_800


def test_given_nobody_free_when_picked_then_nobody():
    assert all(pick(s, [], OPS) == [] for s in
               ("ringall", "rrmemory", "leastrecent", "fewestcalls", "random", "linear"))


# --- the queue's definition ------------------------------------------------------------

ALICE = Employee("Alice Smith", "101", ("alice",), ("+15550199",), department="Sales")
BOB = Employee("Bob Jones", "102", ("bob",), department="Sales")
CAROL = Employee("Carol White", "103", ("carol",), online=False, department="Sales")
DIRECTORY = Directory(employees=(ALICE, BOB, CAROL), departments=(Department("Sales", "600"),))


def test_given_a_queue_document_when_read_then_round_trips_and_defaults_apply():
    doc = {"name": "Sales", "operators": [{"department": "Sales"}, {"sip_account": "desk"}],
           "strategy": "rrmemory", "ring_seconds": 10, "wrapup_seconds": 5,
           "announce_every": 30, "callback_digit": 5}
    queue = queue_from_dict(doc)
    assert (queue.strategy, queue.max_wait, queue.callback_digit) == ("rrmemory", 120, "5")
    assert queue_from_dict(queue_to_dict(queue)) == queue


@pytest.mark.parametrize("doc, problem", [
    ({"name": "Q", "operators": []}, "key 'operators': give at least one"),
    ({"name": "Q", "operators": [{"phone_number": "+1555"}]}, "operator 1: phone_number"),
    ({"name": "Q", "operators": [{"employee": "A"}], "strategy": "roundrobin"},
     "key 'strategy': 'roundrobin' is not one of"),
    ({"name": "Q", "operators": [{"employee": "A"}], "max_wait": 0}, "key 'max_wait': 0"),
    ({"name": "Q", "operators": [{"employee": "A"}], "ring_seconds": True}, "ring_seconds"),
    ({"name": "Q", "operators": [{"employee": "A"}], "callback_digit": "12"}, "callback_digit"),
    ({"name": "Q", "operators": [{"employee": "A"}], "colour": "red"}, "unknown key 'colour'"),
])
def test_given_a_bad_queue_document_when_read_then_every_problem_named(doc, problem):
    with pytest.raises(QueueError) as refused:
        queue_from_dict(doc)
    assert problem in str(refused.value) and str(refused.value).startswith("queue 'Q': ")


def test_given_operators_when_resolved_then_each_person_once_offline_and_unreachable_out():
    queue = queue_from_dict({"name": "Q", "operators": [
        {"employee": "Bob Jones"}, {"department": "Sales"}, {"sip_account": "lobby"}]})
    ops = operators(queue, DIRECTORY, Presence(frozenset({"bob", "lobby"})))
    assert [(o.party, [str(t) for t in o.targets]) for o in ops] == [
        ("Bob Jones", ["SIP bob"]),
        ("Alice Smith", ["phone +15550199"]),  # SIP not registered: her mobile rings
        ("sip:lobby", ["SIP lobby"])]  # Carol is offline
    assert [o.party for o in operators(queue, DIRECTORY, ALL_REACHABLE)] == \
        ["Bob Jones", "Alice Smith", "sip:lobby"]
