"""Caller-ID rules, bans, client cards, tasks and CRM users over HTTP, as a client meets
them: the real services on SQLite, tokens of each level, refusals naming the field."""
import pytest
from aiohttp.test_utils import TestClient, TestServer

from callctl.api.crm import crm_routes
from callctl.api.http import make_api
from callctl.api.outgoing import outgoing_routes
from callctl.project.services import build_services
from callctl.store.api_tokens import ApiTokens

from .conftest import Company


class Placed:
    """Stands in for the daemon's ClickToCall (the real one is in test_outgoing_live)."""

    def __init__(self):
        self.calls = []

    async def place(self, who, to):
        self.calls.append((who, to))
        return {"call_id": "callctl-click-1", "from": "olga", "employee": who, "to": to,
                "state": "ringing the employee"}


PLACED = Placed()


@pytest.fixture
async def api(database):
    services = build_services(database)
    d, tokens = services.directory, ApiTokens(database)
    staff = {}
    for name, ext, level in (("Max Manager", "102", "manager"), ("Olga Operator", "103",
                                                                   "operator")):
        d.add_employee(name, f"{name.split()[0].lower()}@example.com", ext, access_level=level)
        staff[level] = {"name": name, "token": tokens.create_token(name)}
    d.add_sip_account("Olga Operator", login="olga")
    d.add_number("+15550100", "Olga Operator")
    client = TestClient(TestServer(make_api(
        d, tokens, more=lambda run: outgoing_routes(services.outgoing, run, PLACED)
        + crm_routes(services.crm, run))))
    await client.start_server()
    yield Company(d, tokens, client, None, staff["manager"], staff["operator"], None, None,
                  None)
    await client.close()


async def test_given_a_manager_when_adding_rules_and_bans_then_listed_and_deletable(api):
    m = api.manager
    status, rule = await api.call("POST", "/outgoing/rules", m, json={
        "scope": "employee", "owner": "Olga Operator", "number": "+1 555 0100",
        "prefix": "+380"})
    assert status == 201 and rule["number"] == "+15550100" and rule["prefix"] == "+380"
    assert await api.call("PUT", "/outgoing/bans/olga", m) == \
        (200, {"login": "olga", "barred": True})
    status, listed = await api.call("GET", "/outgoing/rules", api.operator)
    assert status == 200 and [r["id"] for r in listed["rules"]] == [rule["id"]]
    assert (await api.call("GET", "/outgoing/bans", api.operator))[1] == {"barred": ["olga"]}
    assert (await api.call("DELETE", f"/outgoing/rules/{rule['id']}", m))[0] == 200
    assert (await api.call("GET", "/outgoing/rules", m))[1] == {"rules": []}


@pytest.mark.parametrize("body, status, message", [
    ({"scope": "company", "number": "+15559999"}, 422, "number +15559999: not a company"),
    ({"scope": "team", "number": "+15550100"}, 400, "scope: must be one of"),
    ({"scope": "employee", "owner": "Nobody", "number": "+15550100"}, 422,
     "employee 'Nobody': no such employee"),
])
async def test_given_a_bad_rule_when_posted_then_refused_naming_it(api, body, status, message):
    got, err = await api.call("POST", "/outgoing/rules", api.manager, json=body)
    assert got == status and message in err["error"]["message"]
    assert (await api.call("GET", "/outgoing/rules", api.manager))[1] == {"rules": []}


async def test_given_an_operator_when_changing_rules_then_forbidden(api):
    status, _ = await api.call("POST", "/outgoing/rules", api.operator,
                               json={"scope": "company", "number": "+15550100"})
    assert status == 403


async def test_given_client_cards_when_created_found_edited_then_the_card_shows_it(api):
    o = api.operator
    status, card = await api.call("POST", "/clients", o, json={
        "name": "Olena Koval", "phones": ["+380501112233"], "company": "Koval Ltd"})
    assert status == 201
    status, found = await api.call("GET", "/clients?q=koval", o)
    assert [c["id"] for c in found["clients"]] == [card["id"]]
    status, lead = await api.call("POST", f"/clients/{card['id']}/entities", o, json={
        "kind": "lead", "title": "Website", "responsible": "Max Manager"})
    assert status == 201 and lead["state"] == "open"
    await api.call("PATCH", f"/entities/{lead['id']}", o, json={"state": "closed"})
    status, edited = await api.call("PATCH", f"/clients/{card['id']}", o,
                                    json={"emails": ["olena@example.com"]})
    status, shown = await api.call("GET", f"/clients/{card['id']}", o)
    assert shown["emails"] == ["olena@example.com"]
    assert [(e["kind"], e["state"], e["responsible"]) for e in shown["entities"]] == \
        [("lead", "closed", "Max Manager")]


@pytest.mark.parametrize("method, path, body, status, field", [
    ("POST", "/clients", {"name": "X", "phones": ["12ab"]}, 422, "phones"),
    ("POST", "/clients", {"name": "X", "emails": ["nope"]}, 422, "emails"),
    ("GET", "/clients/77", None, 404, None),
    ("GET", "/clients?q=", None, 422, "q"),
    ("PUT", "/crm/users/u-1", {"employee": "Nobody"}, 422, "employee"),
])
async def test_given_bad_crm_input_when_sent_then_refused(api, method, path, body, status, field):
    got, err = await api.call(method, path, api.manager, **({"json": body} if body else {}))
    assert got == status and err["error"]["field"] == field


async def test_given_crm_users_when_mapped_then_listed(api):
    assert (await api.call("PUT", "/crm/users/u-9", api.manager,
                           json={"employee": "Olga Operator"}))[0] == 200
    assert (await api.call("GET", "/crm/users", api.operator))[1] == \
        {"users": {"u-9": "Olga Operator"}}
    assert (await api.call("PUT", "/crm/users/u-9", api.operator,
                           json={"employee": "Olga Operator"}))[0] == 403


async def test_given_the_outgoing_and_crm_routes_when_documented_then_valid_openapi(api):
    from openapi_spec_validator import validate
    async with api.client.get("/api/v1/openapi.json") as r:
        doc = await r.json()
    validate(doc)
    assert {"/outgoing/rules", "/outgoing/bans/{login}", "/clients/{id}/entities",
            "/tasks", "/crm/users/{user}"} <= {p.removeprefix("/api/v1") for p in doc["paths"]}


async def test_given_an_operator_when_clicking_to_call_then_only_from_their_own_phone(api):
    status, err = await api.call("POST", "/calls", api.operator,
                                 json={"from": "Max Manager", "to": "+15557654321"})
    assert status == 403 and err["error"]["field"] == "from"
    status, placed = await api.call("POST", "/calls", api.operator,
                                    json={"from": "Olga Operator", "to": "+15557654321"})
    assert status == 201 and PLACED.calls[-1] == ("Olga Operator", "+15557654321")
    status, err = await api.call("POST", "/calls", api.manager, json={"from": "x"})
    assert status == 400 and err["error"]["field"] == "to"
