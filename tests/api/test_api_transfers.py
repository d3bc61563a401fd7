"""The live-call and transfer routes as a client meets them: access levels, a call that is
not live, bad bodies named by field. What a transfer does to a call: the engine's unit
tests (tests/unit/test_transfer_engine.py) and the live ones (test_transfers_api_live)."""
import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer

from callctl.api.http import make_api
from callctl.api.transfers import transfer_routes
from callctl.calls.desk import TransferDesk
from callctl.calls.router import Router
from callctl.domain.catalog import Catalog
from callctl.project.services import build_services
from callctl.store.api_tokens import ApiTokens
from tests.support.fake_ari import FakeAri, services

from .conftest import Company


@pytest.fixture
async def api(database):
    d, tokens = build_services(database).directory, ApiTokens(database)
    d.add_department("Sales", "600")
    staff = {}
    for name, ext, level, dept in (("Max Manager", "102", "manager", "Sales"),
                                   ("Olga Operator", "103", "operator", "Sales"),
                                   ("Ivan Other", "104", "operator", None)):
        d.add_employee(name, f"{name.split()[0].lower()}@example.com", ext, access_level=level,
                       department=dept)
        staff[level if level not in staff else "other"] = {"name": name,
                                                           "token": tokens.create_token(name)}
    for name, login in (("Olga Operator", "olga"), ("Max Manager", "max")):
        d.add_sip_account(employee=name, login=login)
    d.add_number("+15550100", "Olga Operator")
    catalog = lambda: Catalog(d.snapshot())  # noqa: E731
    ari = FakeAri()
    router = Router(services(ari, catalog()), "callctl")
    ari.dispatch = router.dispatch
    client = TestClient(TestServer(make_api(
        d, tokens, more=lambda run: transfer_routes(TransferDesk(router), catalog))))
    await client.start_server()
    company = Company(d, tokens, client, None, staff["manager"], staff["operator"], None, None,
                      None)
    company.other, company.ari, company.router = staff["other"], ari, router
    yield company
    await client.close()


async def test_given_no_live_call_when_listed_then_empty_and_a_transfer_is_404(api):
    assert await api.call("GET", "/calls/active", api.operator) == (200, {"calls": []})
    status, body = await api.call("POST", "/calls/c1/transfer", api.operator,
                                  json={"to": "102", "mode": "blind"})
    assert status == 404 and "no call 'c1' is in progress" in body["error"]["message"]
    status, _ = await api.call("POST", "/calls/c1/transfer/complete", api.operator)
    assert status == 404


async def test_given_an_operator_when_acting_for_someone_else_then_403_naming_the_rule(api):
    status, body = await api.call("GET", "/calls/active?employee=Max Manager", api.operator)
    assert status == 403 and "cannot act for Max Manager" in body["error"]["message"]
    status, body = await api.call("POST", "/calls/c1/transfer", api.other, json={
        "to": "102", "mode": "blind", "transferer": "Olga Operator"})
    assert (status, body["error"]["field"]) == (403, "transferer")


async def test_given_a_manager_when_acting_for_a_member_then_allowed(api):
    status, _ = await api.call("GET", "/calls/active?employee=Olga Operator", api.manager)
    assert status == 200
    status, _ = await api.call("POST", "/calls/c1/transfer/cancel?transferer=Olga Operator",
                               api.manager)
    assert status == 404  # allowed; there is just no such call


@pytest.mark.parametrize("body, field", [({"mode": "blind"}, "to"),
                                         ({"to": "102"}, "mode"),
                                         ({"to": "102", "mode": "sideways"}, "mode")])
async def test_given_a_bad_body_when_transferring_then_400_naming_the_field(api, body, field):
    status, answer = await api.call("POST", "/calls/c1/transfer", api.operator, json=body)
    assert (status, answer["error"]["field"]) == (400, field)


async def olga_talking(api) -> str:
    """A customer calls Olga's number and she answers: the live call's id (her leg's id
    in `api.legs`)."""
    api.ari.stasis_start("c1", ["inbound", "+15550100"], name="PJSIP/carrier-1",
                         caller={"number": "+15557654321", "name": "Ann"})
    leg = await api.ari.leg_to("PJSIP/olga")
    api.ari.answer_leg(leg)
    api.legs = [leg]
    await api.ari.wait("POST", "/addChannel")  # the customer and Olga, in one request
    return "c1"


async def hang_up(api, call: str) -> None:
    """Everyone hangs up: the call ends."""
    (session,) = [s for s in api.router.sessions if s.call.id == call]
    for channel in (call, *api.legs):
        api.ari.hang_up(channel)
    await asyncio.wait_for(session.task, 5)


async def test_given_olgas_live_call_when_another_operator_acts_on_it_then_403_for_each(api):
    call = await olga_talking(api)
    for path, body in ((f"/calls/{call}/transfer", {"to": "102", "mode": "blind"}),
                       (f"/calls/{call}/transfer/complete", None),
                       (f"/calls/{call}/transfer/cancel", None)):
        status, answer = await api.call("POST", path, api.other, json=body)
        assert status == 403, (path, answer)
        assert answer["error"]["message"].startswith(
            f"Ivan Other (operator) cannot control call {call}: it is someone else's.")
    status, listed = await api.call("GET", "/calls/active", api.other)
    assert (status, listed) == (200, {"calls": []})
    assert not api.ari.find("POST", "/PJSIP/max")  # nothing was rung
    (live,) = (await api.call("GET", "/calls/active", api.operator))[1]["calls"]
    assert (live["state"], live["transfer"]) == ("talking", None)  # untouched
    await hang_up(api, call)


async def test_given_olgas_live_call_when_her_manager_acts_then_he_acts_as_her(api):
    call = await olga_talking(api)
    status, answer = await api.call("POST", f"/calls/{call}/transfer/cancel", api.manager)
    assert status == 409 and "nothing to cancel" in answer["error"]["message"], answer
    status, answer = await api.call("POST", f"/calls/{call}/transfer", api.manager,
                                    json={"to": "Max Manager", "mode": "attended"})
    assert (status, answer["transferer"]) == (202, "Olga Operator"), answer
    api.legs.append(await api.ari.leg_to("PJSIP/max"))  # he rings: she talks to him first
    await hang_up(api, call)
