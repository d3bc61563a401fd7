"""Forwarding schemes over HTTP: managers edit them, operators cannot see them, a refused
scheme answers 422 with every problem, and nothing changes when something is refused."""
from __future__ import annotations

import pytest

WEEKDAYS = {"name": "weekdays", "schedule": {"days": "mon-fri", "hours": ["09:00-18:00"]},
            "blocks": [{"timeout": 20, "directions": [{"employee": "Ada Admin"},
                                                      {"employee": "Max Manager"}]},
                       {"timeout": 30, "directions": [{"phone_number": "+15550199"}]}]}
SALES = {"name": "Sales", "kind": "sequential", "branches": [WEEKDAYS]}


@pytest.fixture
async def sales(company):
    await company.call("POST", "/numbers", company.admin,
                       json={"number": "+15550100", "employee": "Ada Admin"})
    status, _ = await company.call("POST", "/schemes", company.manager, json=SALES)
    assert status == 201
    return company


async def _names(company) -> list[str]:
    _, body = await company.call("GET", "/schemes", company.admin)
    return [s["name"] for s in body["schemes"]]


async def test_given_a_manager_when_creating_a_scheme_then_201_with_coverage_notes(company):
    status, body = await company.call("POST", "/schemes", company.manager, json=SALES)

    assert status == 201
    uncovered = body.pop("uncovered")
    assert body == {"name": "Sales", "kind": "sequential", "branches": 1, "numbers": [],
                    "replaced": False, "overlaps": []}
    assert uncovered[:2] == ["Mon 00:00–08:59 uncovered", "Mon 18:01–23:59 uncovered"]
    assert uncovered[-2:] == ["Sat 00:00–23:59 uncovered", "Sun 00:00–23:59 uncovered"]
    status, doc = await company.call("GET", "/schemes/Sales", company.admin)
    assert (status, doc) == (200, SALES)


async def test_given_a_scheme_with_several_faults_when_creating_then_422_lists_every_problem(
        company):
    bad = {**SALES, "branches": [{**WEEKDAYS, "schedule": {"days": "mon-fri",
                                                           "hours": ["18:01-08:59"]}},
                                 {"name": "nights", "blocks": [
                                     {"timeout": 0, "directions": [{"employee": "Nobody"}]}]}]}

    status, body = await company.call("POST", "/schemes", company.manager, json=bad)

    assert status == 422
    error = body["error"]
    assert error["entity"] == "scheme"
    assert [(p["branch"], p["block"]) for p in error["problems"]] == [("weekdays", None)]
    assert "split it into 18:01–23:59 and 00:00–08:59" in error["problems"][0]["message"]
    assert await _names(company) == []

    bad["branches"] = bad["branches"][1:]
    status, body = await company.call("POST", "/schemes", company.manager, json=bad)
    assert status == 422
    assert body["error"]["problems"] == [
        {"scheme": "Sales", "branch": "nights", "block": 1,
         "message": "timeout 0 s: must be between 1 and 600"},
        {"scheme": "Sales", "branch": "nights", "block": 1,
         "message": "direction employee 'Nobody': no such employee"}]
    assert body["error"]["message"] == "\n".join(
        f"scheme 'Sales', branch 'nights', block 1: {p['message']}"
        for p in body["error"]["problems"])
    assert await _names(company) == []


async def test_given_a_malformed_body_when_creating_then_400_names_the_field(company):
    status, body = await company.call("POST", "/schemes", company.manager,
                                      json={**SALES, "branches": ["weekdays"]})
    assert (status, body["error"]["field"]) == (400, "branches")
    assert body["error"]["message"] == "branches: must be a list of objects"


@pytest.mark.parametrize("method, path", [
    ("GET", "/schemes"), ("GET", "/schemes/Sales"), ("GET", "/schemes/Sales/coverage"),
    ("POST", "/schemes"), ("DELETE", "/schemes/Sales"),
    ("DELETE", "/numbers/+15550100/scheme")])
async def test_given_an_operator_when_touching_schemes_then_403(sales, method, path):
    kw = {"json": SALES} if method == "POST" else {}
    status, body = await sales.call(method, path, sales.operator, **kw)
    assert status == 403
    assert "needs the manager access level" in body["error"]["message"]
    assert await _names(sales) == ["Sales"]


async def test_given_no_token_when_listing_schemes_then_401(sales):
    assert (await sales.call("GET", "/schemes"))[0] == 401


async def test_given_a_scheme_when_got_edited_and_put_back_then_it_is_replaced(sales):
    _, doc = await sales.call("GET", "/schemes/Sales", sales.manager)
    doc["kind"] = "parallel"
    doc["branches"][0]["blocks"][0]["timeout"] = 25

    status, body = await sales.call("PUT", "/schemes/Sales", sales.manager, json=doc)

    assert (status, body["replaced"], body["kind"]) == (200, True, "parallel")
    assert (await sales.call("GET", "/schemes/Sales", sales.manager))[1] == doc


async def test_given_put_when_the_scheme_is_missing_or_the_name_differs_then_refused(sales):
    status, body = await sales.call("PUT", "/schemes/Gone", sales.manager,
                                    json={**SALES, "name": "Gone"})
    assert (status, body["error"]["message"]) == (404, "scheme 'Gone': no such scheme")
    status, body = await sales.call("PUT", "/schemes/Sales", sales.manager,
                                    json={**SALES, "name": "Support"})
    assert status == 422
    assert body["error"]["message"] == ("scheme 'Sales': key 'name': 'Support' differs from "
                                        "the path (copy the scheme to rename it)")
    assert await _names(sales) == ["Sales"]


async def test_given_a_scheme_when_copied_then_201_and_a_second_copy_is_refused(sales):
    status, body = await sales.call("POST", "/schemes/Sales/copy", sales.manager,
                                    json={"new_name": "Sales 2"})
    assert (status, body["name"], body["numbers"]) == (201, "Sales 2", [])
    assert (await sales.call("GET", "/schemes/Sales 2", sales.manager))[1] == {
        **SALES, "name": "Sales 2"}

    status, body = await sales.call("POST", "/schemes/Sales/copy", sales.manager,
                                    json={"new_name": "Sales 2"})
    assert status == 422
    assert "already exists" in body["error"]["problems"][0]["message"]
    assert (await sales.call("POST", "/schemes/Gone/copy", sales.manager,
                             json={"new_name": "X"}))[0] == 404


async def test_given_a_number_when_assigned_and_unassigned_then_the_listing_follows(sales):
    status, body = await sales.call("PUT", "/numbers/+15550100/scheme", sales.manager,
                                    json={"scheme": "Sales"})
    assert (status, body) == (200, {"number": "+15550100", "scheme": "Sales", "previous": None})
    _, listing = await sales.call("GET", "/schemes", sales.manager)
    assert listing["schemes"][0]["numbers"] == ["+15550100"]

    status, body = await sales.call("DELETE", "/numbers/+15550100/scheme", sales.manager)
    assert (status, body) == (200, {"number": "+15550100", "scheme": None, "previous": "Sales"})
    assert sales.schemes.snapshot()[1] == {}


async def test_given_a_bad_assignment_then_404_for_the_number_and_422_for_the_scheme(sales):
    status, body = await sales.call("PUT", "/numbers/+15559999/scheme", sales.manager,
                                    json={"scheme": "Sales"})
    assert (status, body["error"]["entity"]) == (404, "number")
    assert body["error"]["message"] == "number '+15559999': not a company number"
    status, body = await sales.call("PUT", "/numbers/+15550100/scheme", sales.manager,
                                    json={"scheme": "Gone"})
    assert (status, body["error"]["message"]) == (422, "scheme 'Gone': no such scheme")
    assert (await sales.call("DELETE", "/numbers/+15559999/scheme", sales.manager))[0] == 404
    assert sales.schemes.snapshot()[1] == {}


async def test_given_an_assigned_scheme_when_deleted_then_refused_unless_forced(sales):
    await sales.call("PUT", "/numbers/+15550100/scheme", sales.manager, json={"scheme": "Sales"})

    status, body = await sales.call("DELETE", "/schemes/Sales", sales.manager)
    assert status == 422
    assert body["error"]["message"] == (
        "scheme 'Sales': still used: number +15550100 is assigned it (delete with force to "
        "detach the numbers)")
    assert await _names(sales) == ["Sales"]

    status, body = await sales.call("DELETE", "/schemes/Sales?force=true", sales.manager)
    assert (status, body) == (200, {"name": "Sales",
                                    "detached": ["number +15550100: scheme cleared"]})
    assert await _names(sales) == []
    assert (await sales.call("DELETE", "/schemes/Sales", sales.manager))[0] == 404


async def test_given_a_scheme_when_asking_coverage_then_gaps_and_overlaps(sales):
    evening = {**WEEKDAYS, "name": "evening", "schedule": {"days": "mon-fri",
                                                           "hours": ["17:00-23:59"]}}
    await sales.call("PUT", "/schemes/Sales", sales.manager,
                     json={**SALES, "branches": [WEEKDAYS, evening]})

    status, body = await sales.call("GET", "/schemes/Sales/coverage", sales.manager)

    assert status == 200
    assert body["scheme"] == "Sales"
    assert body["uncovered"] == [
        *(f"{day} 00:00–08:59 uncovered" for day in ("Mon", "Tue", "Wed", "Thu", "Fri")),
        "Sat 00:00–23:59 uncovered", "Sun 00:00–23:59 uncovered"]
    assert body["overlaps"] == [
        "branches 'weekdays' and 'evening' overlap on Mon 17:00–18:00, Tue 17:00–18:00, "
        "Wed 17:00–18:00, Thu 17:00–18:00, Fri 17:00–18:00: 'weekdays' takes those calls"]
    assert (await sales.call("GET", "/schemes/Gone/coverage", sales.manager))[0] == 404


async def test_given_an_employee_in_a_scheme_when_renamed_over_the_api_then_the_scheme_follows(
        sales):
    status, _ = await sales.call("PATCH", "/employees/Max%20Manager", sales.admin,
                                 json={"full_name": "Max Major"})
    assert status == 200
    _, doc = await sales.call("GET", "/schemes/Sales", sales.manager)
    assert doc["branches"][0]["blocks"][0]["directions"] == [{"employee": "Ada Admin"},
                                                             {"employee": "Max Major"}]
