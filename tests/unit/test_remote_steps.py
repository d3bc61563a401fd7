"""Webhook numbers, responsible manager, outgoing calls and click-to-call through the call
engine over the in-memory ARI; the customer's webhook handler is a real local HTTP server
(tests/support/handler.py) checking callctl's signature."""
import asyncio
import dataclasses
import time

import pytest

from callctl.calls.click import ClickError, ClickToCall
from callctl.config import CrmConfig, WebhookConfig
from callctl.crm.calls import CallCrm
from callctl.domain.catalog import Catalog
from callctl.domain.outgoing import CallerIdRule, OutgoingPolicy
from callctl.domain.scheme import scheme_from_dict
from callctl.integrations.webhooks import Webhooks
from tests.support.handler import Handler

from .test_engine_steps import CATALOG, CALLER, Harness

US = "+15550100"


def scheme(name, *blocks):
    return scheme_from_dict({"name": name, "kind": "sequential", "branches": [
        {"name": "always", "blocks": [{"timeout": t, "directions": d} for t, d in blocks]}]})


WEB = scheme("Web", (3, [{"webhook": "route"}]), (1, [{"employee": "Carol White"}]))
CRM = scheme("Crm", (3, [{"crm_manager": "lead, deal"}]), (1, [{"employee": "Carol White"}]))


def catalog_with(*schemes, routes=None):
    numbers = CATALOG.directory.numbers
    directory = dataclasses.replace(CATALOG.directory, numbers=numbers + tuple(
        dataclasses.replace(numbers[1], number=n) for n in ("400", "500", US)))
    return Catalog(directory, {**CATALOG.schemes, **{s.name: s for s in schemes}}, CATALOG.menus,
                   CATALOG.boxes, {**CATALOG.routes, "400": _d("Web"), "500": _d("Crm")})


def _d(name):
    from callctl.domain.scheme import Direction
    return Direction("scheme", name)


OPEN: list = []  # webhook clients made by a test, closed after it


@pytest.fixture
async def handler():
    h = await Handler().start()
    yield h
    while OPEN:
        await OPEN.pop().close()
    await h.stop()


NO_CRM = object()


def harness(handler=None, timeout_s=3.0, responsible=NO_CRM, delay=0.0):
    h = Harness(catalog_with(WEB, CRM))
    if handler is not None:
        h.s.webhooks = Webhooks({"route": WebhookConfig(url=handler.url + "/route",
                                                        secret=handler.secret,
                                                        timeout_s=timeout_s)})
        OPEN.append(h.s.webhooks)
    if responsible is not NO_CRM:
        h.s.crm = CallCrm(CrmConfig(lookup_timeout_ms=500, cards=False),
                          _Cards(responsible, delay))
    return h


class _Cards:
    """Stands in for CrmService's lookup (its SQL is tested in test_outgoing_crm_services)."""

    def __init__(self, found, delay):
        self.found, self.delay = found, delay

    def responsible_for(self, number, order):
        time.sleep(self.delay)
        return self.found


# --- webhook ---------------------------------------------------------------------------------

@pytest.mark.parametrize("answer, endpoint", [
    ({"employee": "Bob Jones"}, "PJSIP/bob"),
    ({"sip_account": "alice"}, "PJSIP/alice"),
    ({"phone_number": "(555) 0177"}, "PJSIP/+15550177@carrier"),  # read in the country
    ({"kind": "department", "target": "Sales"}, "PJSIP/alice"),
    ({"scheme": "Both"}, "PJSIP/alice"),
])
async def test_given_a_webhook_answer_of_each_kind_when_called_then_that_target_rings(
        handler, answer, endpoint):
    handler.answer = lambda path, body: (200, answer, 0)
    h = harness(handler)
    session = h.call("400")
    leg = await h.leg_to(endpoint)
    (path, body, signed), = handler.received
    assert signed and path == "/route"
    assert body["call_id"] == CALLER and body["caller"] == "+15557654321" and \
        body["number"] == "400" and body["webhook"] == "route" and "time" in body
    h.ari.answer_leg(leg)
    await h.ari.wait("POST", "/addChannel")
    h.ari.hang_up(CALLER)
    _, outcome, *_ = await h.ended(session)
    assert outcome == "answered"


@pytest.mark.parametrize("answer, reason", [
    ((500, "boom", 0), "answered HTTP 500"),
    ((200, "not json", 0), "answer is not JSON"),
    ((200, {"employee": "Nobody"}, 0), "unknown target: direction employee 'Nobody': no such"),
    ((200, {"ivr": "Main"}, 0), "bad answer: a webhook cannot send a call to a ivr"),
    ((200, [1, 2], 0), "bad answer: the answer must be a JSON object"),
    ((200, {"employee": "Bob Jones"}, 2), "no answer within 0.5 s"),
])
async def test_given_a_bad_webhook_answer_when_called_then_next_block_with_the_reason(
        handler, answer, reason):
    handler.answer = lambda path, body: answer
    h = harness(handler, timeout_s=0.5)
    session = h.call("400")
    started = asyncio.get_running_loop().time()
    await h.leg_to("PJSIP/carol")  # the next block
    assert asyncio.get_running_loop().time() - started < 1.0
    assert not h.ari.find("POST", "/channels")[:-1]  # nothing rang before Carol
    h.ari.hang_up(CALLER)
    *_, route = await h.ended(session)
    assert f"webhook 'route': {reason}" in route


async def test_given_a_slow_answer_when_the_block_ends_first_then_the_webhook_has_only_that(
        handler):
    handler.answer = lambda path, body: (200, {"employee": "Bob Jones"}, 5)
    h = harness(handler, timeout_s=10)  # the block (3 s) bounds it, not the webhook's 10 s
    session = h.call("400")
    started = asyncio.get_running_loop().time()
    await h.leg_to("PJSIP/carol", 1)
    assert 2.8 < asyncio.get_running_loop().time() - started < 3.6
    h.ari.hang_up(CALLER)
    await h.ended(session)


async def test_given_the_answer_rings_when_the_block_ends_then_the_ring_stops_with_it(handler):
    handler.answer = lambda path, body: (200, {"employee": "Bob Jones"}, 1)
    h = harness(handler)
    session = h.call("400")
    bob = await h.leg_to("PJSIP/bob")
    started = asyncio.get_running_loop().time()
    await h.ari.wait("DELETE", f"/channels/{bob}", timeout=4)
    assert 1.5 < asyncio.get_running_loop().time() - started < 2.5  # 3 s less the 1 s asked
    await h.leg_to("PJSIP/carol")
    h.ari.hang_up(CALLER)
    await h.ended(session)


async def test_given_the_concurrency_limit_when_reached_then_a_call_waits_for_a_slot(handler):
    handler.answer = lambda path, body: (200, {"employee": "Bob Jones"}, 0.3)
    hooks = Webhooks({"route": WebhookConfig(url=handler.url, secret=handler.secret,
                                             max_concurrent=1)})
    started = time.monotonic()
    answers = await asyncio.gather(*(hooks.ask("route", {"n": i}, 2) for i in range(3)))
    assert [a for a, _ in answers] == [{"employee": "Bob Jones"}] * 3
    assert time.monotonic() - started > 0.85  # one at a time
    late = await asyncio.gather(*(hooks.ask("route", {"n": i}, 0.5) for i in range(3)))
    assert sum(why.startswith("no answer within") for _, why in late) >= 1
    await hooks.close()


# --- responsible manager -------------------------------------------------------------------

async def test_given_a_responsible_employee_when_the_crm_knows_the_caller_then_they_ring():
    h = harness(responsible=("Bob Jones", "lead 7"))
    session = h.call("500")
    h.ari.answer_leg(await h.leg_to("PJSIP/bob"))
    await h.ari.wait("POST", "/addChannel")
    h.ari.hang_up(CALLER)
    *_, route = await h.ended(session)
    assert "responsible manager (lead, deal) -> employee 'Bob Jones' (lead 7)" in route


async def test_given_nobody_responsible_when_looked_up_then_the_next_block_at_once():
    h = harness(responsible=None)
    session = h.call("500")
    started = asyncio.get_running_loop().time()
    await h.leg_to("PJSIP/carol")
    assert asyncio.get_running_loop().time() - started < 0.3
    h.ari.hang_up(CALLER)
    *_, route = await h.ended(session)
    assert "no open lead/deal with a responsible employee: next block" in route


async def test_given_a_slow_crm_when_looked_up_then_the_next_block_after_500_ms():
    h = harness(responsible=("Bob Jones", "lead 7"), delay=2)
    session = h.call("500")
    started = asyncio.get_running_loop().time()
    await h.leg_to("PJSIP/carol")
    assert 0.45 < asyncio.get_running_loop().time() - started < 0.8
    assert not h.ari.find("POST", "/channels")[:-1]
    h.ari.hang_up(CALLER)
    *_, route = await h.ended(session)
    assert "the CRM did not answer within 500 ms" in route


# --- outgoing and click-to-call ------------------------------------------------------------

def outgoing_harness(policy):
    h = Harness(catalog_with())
    h.s.outgoing = lambda: policy
    return h


async def test_given_a_staff_phone_dialling_out_when_planned_then_the_rule_number_is_shown():
    policy = OutgoingPolicy((CallerIdRule("employee", "Alice Smith", US),))
    h = outgoing_harness(policy)
    session = h.call("+380501112233", kind="internal")
    session.call.caller_login = "alice"  # Harness's channel name is not alice's
    leg = await h.leg_to("PJSIP/+380501112233@carrier")
    assert h.ari.find("POST", "/channels")[0].params["callerId"] == f"<{US}>"
    assert h.s.recorder.of("outgoing") == [(CALLER, "Alice Smith", US, "+380501112233")]
    h.ari.answer_leg(leg)
    await h.ari.wait("POST", "/addChannel")
    h.ari.hang_up(CALLER)
    _, outcome, *_ = await h.ended(session)
    assert outcome == "answered"


async def test_given_a_barred_phone_when_dialling_out_then_the_prompt_and_nothing_dialled():
    h = outgoing_harness(OutgoingPolicy((), frozenset({"x"})))
    session = h.call("+380501112233", kind="internal")  # the channel PJSIP/carrier-c1: "x"?
    session.call.caller_login = "x"
    _, outcome, *_ = await h.ended(session)
    assert outcome == "barred"
    assert not h.ari.find("POST", "/channels")
    assert h.ari.find("POST", "/play")[0].params["media"] == "sound:default/outgoing-barred"


async def test_given_click_to_call_when_the_employee_answers_then_the_number_is_dialled():
    policy = OutgoingPolicy((CallerIdRule("employee", "Alice Smith", US),))
    h = outgoing_harness(policy)
    h.s.country = "US"
    click = ClickToCall(h.s, h.router)
    placed = await click.place("Alice Smith", "+380 50 111 22 33")
    first = h.ari.find("POST", "/channels")[0].params
    assert (first["endpoint"], first["callerId"]) == ("PJSIP/alice",
                                                       '"+380501112233" <+380501112233>')
    h.ari.stasis_start(placed["call_id"], ["click"], name="PJSIP/alice-00000001",
                       caller={"number": "+380501112233"})
    out = await h.leg_to("PJSIP/+380501112233@carrier")
    assert h.ari.find("POST", "/channels")[1].params["callerId"] == f"<{US}>"
    session = next(iter(h.router.sessions))
    assert session.call.id == placed["call_id"] and session.call.caller_login == "alice"
    h.ari.answer_leg(out)
    await h.ari.wait("POST", "/addChannel")
    assert h.ari.members() == [{placed["call_id"], out}]  # both legs, one call, one request
    h.ari.hang_up(placed["call_id"])
    _, outcome, *_ = await h.ended(session)
    assert outcome == "answered"


async def test_given_click_to_call_when_the_employee_does_not_answer_then_logged_missed():
    h = outgoing_harness(OutgoingPolicy((CallerIdRule("company", "", US),)))
    placed = await ClickToCall(h.s, h.router).place("bob", "101")
    h.ari.hang_up(placed["call_id"], cause=19)
    (call_id, outcome, _, detail, _), = h.s.recorder.of("ended")
    assert (call_id, outcome) == (placed["call_id"], "missed") and "did not answer" in detail


@pytest.mark.parametrize("who, to, message", [
    ("Nobody", "101", "from: 'Nobody' is neither an employee nor a SIP account"),
    ("Alice Smith", "12ab", "to: '12ab' is neither an extension nor a phone number"),
    ("Alice Smith", " ", "to: say what to call"),
])
async def test_given_bad_click_to_call_input_when_placed_then_refused_and_nothing_rings(
        who, to, message):
    h = outgoing_harness(OutgoingPolicy())
    with pytest.raises(ClickError, match=message):
        await ClickToCall(h.s, h.router).place(who, to)
    assert not h.ari.find("POST", "/channels")
