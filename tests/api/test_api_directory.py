"""Directory administration over HTTP: create, refuse, show, edit, delete."""
from __future__ import annotations

NEW = {"full_name": "Nina New", "email": "nina@example.com", "extension": "104"}


async def _names(company) -> list[str]:
    _, body = await company.call("GET", "/employees", company.admin)
    return [e["full_name"] for e in body["employees"]]


async def test_given_three_seats_used_when_admin_creates_an_employee_then_201_and_seat_message(
        company):
    status, body = await company.call("POST", "/employees", company.admin, json=NEW)

    assert status == 201
    assert body["object"]["full_name"] == "Nina New"
    assert body["object"]["extension"] == "104"
    assert "4 employees: 1 seat above the 3 included is billed" in body["messages"]
    assert body["invitation_token"]  # no mailer here: the admin hands it over
    assert "password" not in body
    assert "Nina New" in await _names(company)


async def test_given_a_ru_email_when_creating_then_422_names_the_field_and_nothing_changed(
        company):
    before = await _names(company)

    status, body = await company.call("POST", "/employees", company.admin,
                                      json={**NEW, "email": "nina@mail.ru"})

    assert status == 422
    assert body["error"]["field"] == "email"
    assert ".ru" in body["error"]["message"]
    assert await _names(company) == before


async def test_given_a_used_extension_when_creating_then_409_names_the_owner_and_nothing_changed(
        company):
    before = await _names(company)

    status, body = await company.call("POST", "/employees", company.admin,
                                      json={**NEW, "extension": "101"})

    assert status == 409
    assert body["error"]["field"] == "extension"
    assert "Ada Admin" in body["error"]["message"]
    assert await _names(company) == before


async def test_given_an_employee_when_changing_the_email_then_422_says_create_a_new_profile(
        company):
    status, body = await company.call("PATCH", "/employees/Olga%20Operator", company.admin,
                                      json={"email": "olga@other.example.com"})

    assert status == 422
    assert body["error"]["field"] == "email"
    assert "create a new profile" in body["error"]["message"]
    _, olga = await company.call("GET", "/employees/Olga%20Operator", company.admin)
    assert olga["email"] == "olga@example.com"


async def test_given_wrong_types_when_creating_then_400_names_the_field(company):
    cases = [({**NEW, "extension": 104}, "extension", "must be a string"),
             ({**NEW, "online": "yes"}, "online", "must be a boolean"),
             ({**NEW, "phone_numbers": "+15550100"}, "phone_numbers", "list of strings"),
             ({"email": "x@example.com", "extension": "105"}, "full_name", "is required"),
             ({**NEW, "colour": "blue"}, "colour", "not a known field"),
             ({**NEW, "access_level": "root"}, "access_level", "must be one of")]
    for payload, field, words in cases:
        status, body = await company.call("POST", "/employees", company.admin, json=payload)
        assert (status, body["error"]["field"]) == (400, field), payload
        assert words in body["error"]["message"]
    assert "Nina New" not in await _names(company)


async def test_given_malformed_json_when_creating_then_400_names_the_body(company):
    status, body = await company.call("POST", "/employees", company.admin,
                                      data=b'{"full_name": "Nina",',
                                      headers={"Content-Type": "application/json"})
    assert status == 400
    assert body["error"]["field"] == "body"
    assert "not valid JSON" in body["error"]["message"]

    status, body = await company.call("POST", "/employees", company.admin, json=["Nina"])
    assert (status, body["error"]["field"]) == (400, "body")


async def test_given_an_unknown_employee_when_showing_editing_deleting_then_404_names_it(
        company):
    for method, kw in (("GET", {}), ("PATCH", {"json": {"online": False}}), ("DELETE", {})):
        status, body = await company.call(method, "/employees/Nobody%20Here", company.admin,
                                          **kw)
        assert status == 404, method
        assert "Nobody Here" in body["error"]["message"]


async def test_given_an_unknown_path_when_requested_then_404_in_the_api_error_shape(company):
    status, body = await company.call("GET", "/nothing-here", company.admin)
    assert status == 404
    assert "/api/v1/nothing-here" in body["error"]["message"]


async def test_given_an_employee_when_admin_adds_a_sip_account_then_the_password_is_shown_once(
        company):
    status, body = await company.call("POST", "/sip-accounts", company.admin,
                                      json={"employee": "Olga Operator", "on_pc": True})
    assert status == 201
    login, password = body["object"]["login"], body["password"]
    assert len(password) >= 16
    assert body["object"]["on_pc"] is True

    _, shown = await company.call("GET", f"/sip-accounts/{login}", company.admin)
    _, listed = await company.call("GET", "/sip-accounts", company.admin)
    assert password not in str(shown) and password not in str(listed)

    status, reset = await company.call("PATCH", f"/sip-accounts/{login}", company.admin,
                                       json={"reset_password": True})
    assert status == 200
    assert reset["password"] != password and len(reset["password"]) >= 16
    status, edited = await company.call("PATCH", f"/sip-accounts/{login}", company.admin,
                                        json={"on_mobile": True})
    assert status == 200 and "password" not in edited


async def test_given_a_number_ringing_an_employee_when_deleting_then_409_lists_it_until_forced(
        company):
    status, _ = await company.call("POST", "/numbers", company.admin,
                                   json={"number": "+15550100", "employee": "Olga Operator",
                                         "ring_timeout": 20})
    assert status == 201

    status, body = await company.call("DELETE", "/employees/Olga%20Operator", company.admin)
    assert status == 409
    assert body["error"]["usages"] == ["number +15550100 rings it"]
    assert "Olga Operator" in await _names(company)

    status, body = await company.call("DELETE", "/employees/Olga%20Operator?force=true",
                                      company.admin)
    assert status == 200
    assert body["detached"] == ["number +15550100: employee cleared"]
    assert "Olga Operator" not in await _names(company)
    _, number = await company.call("GET", "/numbers/%2B15550100", company.admin)
    assert number["employee"] is None


async def test_given_a_bad_force_flag_when_deleting_then_400_names_it(company):
    status, body = await company.call("DELETE", "/employees/Olga%20Operator?force=maybe",
                                      company.admin)
    assert (status, body["error"]["field"]) == (400, "force")


async def test_given_departments_when_admin_creates_renames_and_deletes_one_then_each_shows(
        company):
    status, body = await company.call("POST", "/departments", company.admin,
                                      json={"name": "Sales", "extension": "200"})
    assert status == 201 and body["object"]["members"] == []
    await company.call("PATCH", "/employees/Olga%20Operator", company.admin,
                       json={"department": "Sales"})

    status, body = await company.call("PATCH", "/departments/Sales", company.admin,
                                      json={"name": "Sales EU"})
    assert status == 200
    assert body["object"] == {**body["object"], "name": "Sales EU",
                              "members": ["Olga Operator"]}

    status, body = await company.call("DELETE", "/departments/Sales%20EU?force=1", company.admin)
    assert status == 200
    _, departments = await company.call("GET", "/departments", company.admin)
    assert departments == {"departments": []}


async def test_given_a_custom_runner_when_serving_then_every_service_call_goes_through_it(
        database):
    import asyncio

    from aiohttp.test_utils import TestClient, TestServer

    from callctl.api.http import make_api
    from callctl.directory import DirectoryService
    from callctl.store.api_tokens import ApiTokens

    service, tokens = DirectoryService(database), ApiTokens(database)
    service.add_employee("Ada Admin", "ada@example.com", "101", access_level="admin")
    token = tokens.create_token("Ada Admin")
    called = []

    async def run(fn, *args, **kwargs):  # what keeps the event loop free: a worker thread
        called.append(fn.__name__)
        return await asyncio.to_thread(fn, *args, **kwargs)

    async with TestClient(TestServer(make_api(service, tokens, run=run))) as client:
        r = await client.get("/api/v1/employees", headers={"Authorization": f"Bearer {token}"})
        assert r.status == 200
    assert called == ["resolve", "list_employees"]
