"""CRM call events to a real local receiver: signed, in order per receiver, retried with
backoff, and a dead receiver's events counted and logged as dropped, never blocking."""
import asyncio

from callctl.config import CrmConfig
from callctl.crm.calls import CallCrm
from callctl.calls.model import Call, Leg
from callctl.domain.flow import Target
from callctl.integrations.crm_events import CrmEvents, Receiver
from callctl.pbx.backoff import Backoff
from tests.support.handler import Handler


def fast() -> Backoff:
    return Backoff(base=0.01, cap=0.02)


async def until(predicate, timeout=3.0):
    async def loop():
        while not predicate():
            await asyncio.sleep(0.01)
    await asyncio.wait_for(loop(), timeout)


async def test_given_a_call_when_it_starts_answers_and_ends_then_the_receiver_gets_them_in_order():
    failures = [2]  # the receiver refuses the first two deliveries

    def answer(path, body):
        if failures[0]:
            failures[0] -= 1
            return 503, "busy", 0
        return 204, "", 0
    receiver = await Handler(answer=answer).start()
    events = CrmEvents([Receiver(receiver.url + "/events", receiver.secret, fast())])
    crm = CallCrm(CrmConfig(cards=False), events=events)
    crm.users = {"u-7": "Bob Jones"}
    call = Call("c1", "inbound", "+15550100", "+15557654321")
    leg = Leg("l1", "callee", Target("sip", "bob", "Bob Jones"))
    call.answered = leg
    crm.started(call)
    crm.answered(call, leg)
    crm.ended(call, "answered")
    await until(lambda: events.stats()[0]["delivered"] == 3)
    got = [body for _, body, signed in receiver.received if signed]
    assert [e["event"] for e in got[-3:]] == ["call.started", "call.answered", "call.ended"]
    assert got[-2]["employee"] == "Bob Jones" and got[-2]["crm_user_id"] == "u-7"
    assert got[-1]["outcome"] == "answered" and got[-1]["number"] == "+15550100"
    assert events.stats()[0]["retries"] == 2 and events.stats()[0]["dropped"] == 0
    await crm.close()
    await receiver.stop()


async def test_given_a_dead_receiver_when_events_fail_then_counted_dropped_and_logged(caplog):
    events = CrmEvents([Receiver("http://127.0.0.1:9/events", "s" * 32, fast(), attempts=3)])
    crm = CallCrm(CrmConfig(cards=False), events=events)
    call = Call("c2", "inbound", "+15550100", "+15557654321")
    started = asyncio.get_running_loop().time()
    crm.started(call)
    crm.ended(call, "missed")
    assert asyncio.get_running_loop().time() - started < 0.01  # queued, never awaited
    await until(lambda: events.stats()[0]["dropped"] == 2)
    assert events.stats()[0]["retries"] == 4
    dropped = [r.getMessage() for r in caplog.records if "crm.event_dropped" in r.getMessage()]
    assert len(dropped) == 2 and "call=c2" in dropped[0]
    await crm.close()
