"""Call queues in the engine, against the in-memory ARI: offers, strategies across callers,
busy operators never offered, wrap-up, max wait, all offline, abandon, callbacks."""
import asyncio

import pytest

from callctl.calls.router import Router
from callctl.domain.catalog import Catalog
from callctl.domain.directory import Department, Directory, Employee, Presence
from callctl.domain.queue import queue_from_dict
from callctl.domain.scheme import Direction
from callctl.store.calls import CallLog
from callctl.store.db import make_engine, sessions, upgrade
from callctl.store.queue_log import callbacks_waiting
from tests.support.fake_ari import FakeAri, services

ANN = Employee("Ann", "101", ("ann",), department="Desk")
BEN = Employee("Ben", "102", ("ben",), department="Desk")
DIRECTORY = Directory(employees=(ANN, BEN), departments=(Department("Desk", "600"),))


def queue(**kw):
    return queue_from_dict({"name": "Q", "operators": [{"employee": "Ann"},
                                                       {"employee": "Ben"}], **kw})


@pytest.fixture
def call_log(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    upgrade(url)
    return CallLog(sessions(make_engine(url)))


class Harness:
    def __init__(self, call_log, q, presence=None, more_queues=()):
        self.queues = {x.name: x for x in (q, *more_queues)}
        self.catalog = Catalog(DIRECTORY, queues=self.queues, routes={
            f"10{i}": Direction("queue", name) for i, name in enumerate(self.queues)})
        self.presence = presence or Presence(frozenset({"ann", "ben"}))
        self.ari = FakeAri()
        self.s = services(self.ari, lambda: self.catalog, lambda: self.presence,
                          call_log=call_log)
        self.router = self.s.queues.router = Router(self.s, "callctl")
        self.ari.dispatch = self.router.dispatch
        self.dispatcher = asyncio.get_running_loop().create_task(self.s.queues.run())

    def call(self, caller: str, number: str = "100"):
        self.ari.stasis_start(caller, ["inbound", number], name=f"PJSIP/carrier-{caller}",
                              caller={"number": f"+1555{caller}"})
        return next(s for s in self.router.sessions if s.caller == caller)

    def offer_to(self, login: str, count: int = 1):
        return self.ari.leg_to(f"PJSIP/{login}", count)

    def offers(self, login: str) -> int:
        return len([r for r in self.ari.requests if r.path == "/channels"
                    and r.params["endpoint"] == f"PJSIP/{login}"])

    async def ended(self, session, timeout=5):
        await asyncio.wait_for(session.task, timeout)
        return self.s.recorder.of("ended")[-1]

    def close(self):
        self.dispatcher.cancel()


async def test_given_ringall_when_one_operator_answers_then_connected_and_visit_answered(
        call_log):
    h = Harness(call_log, queue())
    first = h.call("c1")
    ann, ben = await h.offer_to("ann"), await h.offer_to("ben")
    assert h.ari.find("POST", "/channels/c1/moh")  # the caller waits with music
    h.ari.answer_leg(ben)
    add = await h.ari.wait("POST", "/addChannel")  # both at once, digits kept off (keypad.py)
    assert add.params["absorbDTMF"] and {"c1", ben} in h.ari.members() and h.ari.find("DELETE", f"/channels/{ann}")
    assert h.ari.find("DELETE", "/channels/c1/moh")
    h.ari.hang_up("c1")
    _, outcome, *_ = await h.ended(first)
    assert outcome == "answered"
    assert h.s.recorder.of("joined")[0][1:2] == ("Q",)
    assert h.s.recorder.of("left")[0][3:] == ("answered", "Ben")
    h.close()


async def test_given_rrmemory_and_two_callers_then_each_gets_the_next_operator_at_once(
        call_log):
    h = Harness(call_log, queue(strategy="rrmemory"))
    h.call("c1"), h.call("c2")
    await h.offer_to("ann"), await h.offer_to("ben")  # one each, at the same time
    assert h.s.queues.status(h.queues["Q"])["waiting"][0]["offered"] == ["Ann"]
    for caller in ("c1", "c2"):
        h.ari.hang_up(caller)
    h.close()


async def test_given_an_operator_on_another_call_then_not_offered(call_log):
    h = Harness(call_log, queue(ring_seconds=1, retry_seconds=0))
    h.s.busy.engage("Ann", "elsewhere")
    h.call("c1")
    await h.offer_to("ben")
    assert h.offers("ann") == 0
    h.s.busy.release("Ann", "elsewhere")  # free again: in the caller's next round
    await h.offer_to("ann")
    assert h.offers("ben") == 2
    h.ari.hang_up("c1")
    h.close()


async def test_given_everyone_offline_when_a_caller_comes_then_next_step_at_once(call_log):
    h = Harness(call_log, queue(), presence=Presence(frozenset()))
    session = h.call("c1")
    _, outcome, *_ = await h.ended(session)
    assert outcome == "missed" and not h.ari.find("POST", "/channels/c1/moh")
    assert not h.s.recorder.of("joined")  # never waited
    h.close()


async def test_given_all_operators_going_offline_while_waiting_then_callers_move_on(call_log):
    h = Harness(call_log, queue(ring_seconds=1, retry_seconds=30))
    session = h.call("c1")
    await h.offer_to("ann")
    h.presence = Presence(frozenset())
    h.s.queues.wake()
    _, outcome, *_ = await h.ended(session)  # "nobody available" after the queue
    assert outcome == "missed" and h.s.recorder.of("left")[0][3] == "next"
    h.close()


async def test_given_max_wait_when_nobody_answers_then_timeout_and_the_next_step(call_log):
    h = Harness(call_log, queue(max_wait=1, ring_seconds=5))
    session = h.call("c1")
    await h.offer_to("ann")
    _, outcome, *_ = await h.ended(session, timeout=4)
    assert outcome == "missed" and h.s.recorder.of("left")[0][3] == "timeout"
    assert not h.s.busy.state("Ann") == "ringing"  # the offer was withdrawn
    h.close()


async def test_given_a_caller_hanging_up_while_waiting_then_abandoned(call_log):
    h = Harness(call_log, queue())
    session = h.call("c1")
    ann = await h.offer_to("ann")
    h.ari.hang_up("c1")
    await h.ended(session)
    assert h.s.recorder.of("left")[0][3] == "abandoned"
    assert h.ari.find("DELETE", f"/channels/{ann}") and h.s.busy.available("Ann")
    h.close()


async def test_given_wrapup_when_a_queue_call_ends_then_the_operator_rests_first(call_log):
    h = Harness(call_log, queue(strategy="linear", wrapup_seconds=1, ring_seconds=1,
                                retry_seconds=0))
    first = h.call("c1")
    h.ari.answer_leg(await h.offer_to("ann"))
    await h.ari.wait("POST", "/addChannel")
    h.ari.hang_up("c1")
    await h.ended(first)
    assert h.s.busy.state("Ann") == "wrapup"
    h.call("c2")
    await h.offer_to("ben")  # linear would take Ann, but she is in wrap-up
    await h.offer_to("ann", 2)  # ... after which she is offered again (the next round)
    h.ari.hang_up("c2")
    h.close()


async def test_given_two_queues_sharing_an_operator_then_one_offer_at_a_time(call_log):
    solo = queue_from_dict({"name": "Solo", "operators": [{"employee": "Ann"}]})
    other = queue_from_dict({"name": "Other", "operators": [{"employee": "Ann"}]})
    h = Harness(call_log, solo, more_queues=(other,))
    h.call("c1", "100"), h.call("c2", "101")
    await h.offer_to("ann")
    await asyncio.sleep(0)  # let the dispatcher run once more: it must not offer Ann again
    assert h.offers("ann") == 1
    assert h.s.busy.state("Ann") == "ringing"
    for caller in ("c1", "c2"):
        h.ari.hang_up(caller)
    h.close()


async def test_given_a_callback_request_then_the_operator_then_the_caller_is_called_once(
        call_log):
    h = Harness(call_log, queue(callback_digit="5", strategy="linear", ring_seconds=5))
    h.s.busy.engage("Ann", "elsewhere"), h.s.busy.engage("Ben", "elsewhere")
    session = h.call("c1")
    await h.ari.wait("POST", "/channels/c1/moh")
    h.ari.press("c1", "5")
    await h.ended(session)
    assert h.s.recorder.of("left")[0][3] == "callback"
    [cb] = callbacks_waiting(call_log.sessions)
    assert (cb.queue, cb.number, cb.caller_id) == ("Q", "+1555c1", "100")
    h.s.busy.release("Ann", "elsewhere")  # Ann is free: the callback's turn
    ann = await h.offer_to("ann")
    h.ari.answer_leg(ann)  # the operator answers first...
    customer = await h.offer_to("+1555c1@carrier")  # ... then the customer is dialled
    assert callbacks_waiting(call_log.sessions) == []  # marked: never made twice
    caller_id = next(r for r in h.ari.requests if r.params.get("channelId") == customer)
    assert caller_id.params["callerId"] == "<100>"
    h.ari.answer_leg(customer)
    await h.ari.wait("POST", "/addChannel")
    h.ari.hang_up(ann)
    await h.ari.wait("DELETE", f"/channels/{customer}")  # the other side is released
    h.close()
