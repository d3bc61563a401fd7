"""Bearer tokens and access levels: who may read and change what."""
from __future__ import annotations

import sqlalchemy as sa

from callctl.store.api_tokens import ApiToken

NEW = {"full_name": "Nina New", "email": "nina@example.com", "extension": "104"}


async def test_given_no_token_when_listing_then_401_with_a_bearer_challenge(company):
    async with company.client.get("/api/v1/employees") as r:
        assert r.status == 401
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Authorization: Bearer" in (await r.json())["error"]["message"]


async def test_given_an_unknown_token_when_listing_then_401(company):
    status, body = await company.call("GET", "/employees", {"token": "cc_not-a-real-token"})
    assert status == 401
    assert "unknown" in body["error"]["message"]


async def test_given_a_manager_when_creating_an_employee_then_403_names_the_level_needed(
        company):
    status, body = await company.call("POST", "/employees", company.manager, json=NEW)

    assert status == 403
    assert "admin access level" in body["error"]["message"]
    assert "Max Manager is manager" in body["error"]["message"]
    _, listed = await company.call("GET", "/employees", company.admin)
    assert "Nina New" not in [e["full_name"] for e in listed["employees"]]


async def test_given_a_manager_when_reading_everything_then_all_of_it_is_shown(company):
    for path in ("/employees", "/departments", "/sip-accounts", "/numbers"):
        status, _ = await company.call("GET", path, company.manager)
        assert status == 200, path
    _, body = await company.call("GET", "/employees/Olga%20Operator", company.manager)
    assert body["email"] == "olga@example.com"
    for method, path in (("PATCH", "/employees/Olga%20Operator"),
                         ("DELETE", "/employees/Olga%20Operator"),
                         ("POST", "/departments")):
        status, _ = await company.call(method, path, company.manager, json={})
        assert status == 403, (method, path)


async def test_given_an_operator_when_listing_colleagues_then_names_and_extensions_not_emails(
        company):
    status, body = await company.call("GET", "/employees", company.operator)

    assert status == 200
    ada = next(e for e in body["employees"] if e["full_name"] == "Ada Admin")
    assert ada == {"full_name": "Ada Admin", "extension": "101", "department": None,
                   "online": True, "reachable": True}
    status, shown = await company.call("GET", "/employees/Ada%20Admin", company.operator)
    assert (status, shown) == (200, ada)
    status, _ = await company.call("GET", "/departments", company.operator)
    assert status == 200


async def test_given_an_operator_when_reading_sip_accounts_or_numbers_then_403_says_manager(
        company):
    for path in ("/sip-accounts", "/numbers"):
        status, body = await company.call("GET", path, company.operator)
        assert status == 403
        assert "manager access level or higher" in body["error"]["message"]


async def test_given_any_token_when_asking_me_then_the_own_full_record_and_level(company):
    status, body = await company.call("GET", "/me", company.operator)
    assert status == 200
    assert body["access_level"] == "operator"
    assert body["employee"]["full_name"] == "Olga Operator"
    assert body["employee"]["email"] == "olga@example.com"


async def test_given_a_demoted_manager_when_reading_sip_accounts_then_403_at_once(company):
    status, _ = await company.call("PATCH", "/employees/Max%20Manager", company.admin,
                                   json={"access_level": "operator"})
    assert status == 200

    status, body = await company.call("GET", "/sip-accounts", company.manager)
    assert status == 403
    assert "Max Manager is operator" in body["error"]["message"]


async def test_given_a_deleted_employee_when_using_their_token_then_401(company):
    status, _ = await company.call("DELETE", "/employees/Olga%20Operator", company.admin)
    assert status == 200

    status, _ = await company.call("GET", "/me", company.operator)
    assert status == 401


async def test_given_an_admin_when_creating_a_token_then_it_works_and_only_its_hash_is_stored(
        company, database):
    status, body = await company.call("POST", "/tokens", company.admin,
                                      json={"employee": "Olga Operator"})
    assert status == 201
    token = body["token"]

    status, me = await company.call("GET", "/me", {"token": token})
    assert (status, me["employee"]["full_name"]) == (200, "Olga Operator")
    with database() as s:
        stored = s.scalars(sa.select(ApiToken.token_hash)).all()
    assert token not in stored and len(stored) == 4  # three seeded + this one

    status, body = await company.call("POST", "/tokens", company.admin,
                                      json={"employee": "Nobody"})
    assert status == 404 and "Nobody" in body["error"]["message"]


async def test_given_a_revoked_token_when_used_then_401(company):
    assert company.tokens.revoke(company.operator["token"]) is True
    status, _ = await company.call("GET", "/me", company.operator)
    assert status == 401


async def test_given_an_invitation_when_accepted_then_the_employee_can_log_in(company):
    _, created = await company.call("POST", "/employees", company.admin, json=NEW)
    invitation = created["invitation_token"]

    status, body = await company.call("POST", f"/invitations/{invitation}",
                                      json={"password": "short"})
    assert (status, body["error"]["field"]) == (422, "password")

    status, body = await company.call("POST", f"/invitations/{invitation}",
                                      json={"password": "correct horse battery"})
    assert status == 200 and body["object"]["invitation"] == "accepted"
    status, _ = await company.call("POST", f"/invitations/{invitation}",
                                   json={"password": "another password"})
    assert status == 404  # one-time

    status, body = await company.call("POST", "/login", json={"email": "NINA@example.com",
                                                              "password": "wrong password"})
    assert status == 401 and body["error"]["message"] == "wrong e-mail or password"
    status, body = await company.call("POST", "/login", json={"email": "nina@example.com",
                                                              "password": "correct horse battery"})
    assert status == 201
    status, me = await company.call("GET", "/me", {"token": body["token"]})
    assert (status, me["employee"]["full_name"], me["access_level"]) == (
        200, "Nina New", "operator")
