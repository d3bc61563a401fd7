"""Signing in with a session cookie over HTTP (the workspace page's way in): the cookie's
flags, CSRF and Origin checks on every change, the failed-sign-in throttle, sign-out; and
bearer tokens working as before, without CSRF."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from callctl.api.http import make_api
from callctl.api.signin import SignIn
from callctl.project.services import build_services
from callctl.store.api_tokens import ApiTokens
from callctl.store.web_sessions import WebSessions, csrf_token

PASSWORD = "correct horse battery"


@pytest.fixture
async def api(database):
    directory = build_services(database).directory
    for name, email, level in (("Ada Admin", "ada@example.com", "admin"),
                               ("Olga Operator", "olga@example.com", "operator")):
        made = await asyncio.to_thread(directory.add_employee, name, email,
                                       "101" if level == "admin" else "103", access_level=level)
        await asyncio.to_thread(directory.accept_invitation, made.invitation_token, PASSWORD)
    tokens = ApiTokens(database)
    # Not Secure here: aiohttp's client (unlike a browser) sends no Secure cookie to
    # http://127.0.0.1. The flag itself: test_given_the_default_then_the_cookie_is_secure.
    client = TestClient(TestServer(make_api(directory, tokens,
                                            signin=SignIn(WebSessions(database), secure=False))))
    await client.start_server()
    client.bearer = tokens.create_token("Ada Admin")
    yield client
    await client.close()


async def sign_in(client, email="ada@example.com", password=PASSWORD, **headers):
    async with client.post("/api/v1/session", json={"email": email, "password": password},
                           headers=headers) as r:
        return r.status, await r.json(), r.headers


def test_given_the_default_then_the_cookie_is_secure(database):
    response = web.Response()
    SignIn(WebSessions(database)).cookie(response, "an id")
    cookie = response.cookies["callctl_session"]
    assert (cookie["secure"], cookie["httponly"], cookie["samesite"]) == (True, True, "Strict")


async def test_given_the_right_password_then_a_strict_httponly_cookie_and_the_csrf(api):
    status, body, headers = await sign_in(api, email=" ADA@example.com")
    assert status == 201 and (body["employee"], body["access_level"]) == ("Ada Admin", "admin")
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("callctl_session=")
    for flag in ("HttpOnly", "SameSite=Strict", "Path=/"):
        assert flag in cookie
    session_id = api.session.cookie_jar.filter_cookies(api.make_url("/"))["callctl_session"].value
    assert body["csrf_token"] == csrf_token(session_id)
    async with api.get("/api/v1/session") as r:
        assert (r.status, (await r.json())["csrf_token"]) == (200, body["csrf_token"])


async def test_given_a_wrong_password_or_e_mail_then_one_answer_for_both(api):
    for email, password in (("ada@example.com", "wrong one"), ("nobody@example.com", PASSWORD)):
        status, body, _ = await sign_in(api, email, password)
        assert (status, body["error"]["message"]) == (401, "wrong e-mail or password")


async def test_given_five_failures_then_429_with_retry_after_even_for_the_right_password(api):
    for _ in range(5):
        assert (await sign_in(api, "olga@example.com", "guess"))[0] == 401
    status, body, headers = await sign_in(api, "olga@example.com", PASSWORD)
    assert status == 429 and 290 <= int(headers["Retry-After"]) <= 301
    assert body["error"]["message"].startswith("too many failed sign-ins: try again in ")
    assert (await sign_in(api))[0] == 201  # Ada is not locked out by Olga's failures


async def test_given_a_cookie_session_then_changes_need_the_csrf_token_and_this_origin(api):
    _, body, _ = await sign_in(api)
    change = {"online": False}
    path = "/api/v1/employees/Olga%20Operator"
    async with api.patch(path, json=change) as r:
        refused = await r.json()
        assert (r.status, refused["error"]["field"]) == (403, "X-CSRF-Token")
    async with api.patch(path, json=change, headers={"X-CSRF-Token": "0" * 64}) as r:
        assert r.status == 403
    evil = {"X-CSRF-Token": body["csrf_token"], "Origin": "https://evil.example"}
    async with api.patch(path, json=change, headers=evil) as r:
        assert (r.status, (await r.json())["error"]["field"]) == (403, "Origin")
    async with api.get(path) as r:
        assert (await r.json())["online"] is True  # nothing changed
    async with api.patch(path, json=change, headers={"X-CSRF-Token": body["csrf_token"]}) as r:
        assert r.status == 200
    # A bearer token needs no CSRF token (no browser adds it by itself).
    async with api.patch(path, json={"online": True}, cookies={},
                         headers={"Authorization": f"Bearer {api.bearer}"}) as r:
        assert r.status == 200


async def test_given_another_sites_page_then_it_cannot_sign_a_browser_in(api):
    status, body, _ = await sign_in(api, Origin="https://evil.example")
    assert (status, body["error"]["field"]) == (403, "Origin")


async def test_given_sign_out_then_the_session_is_over(api):
    _, body, _ = await sign_in(api, "olga@example.com")
    async with api.delete("/api/v1/session", headers={"X-CSRF-Token": body["csrf_token"]}) as r:
        assert r.status == 200 and "callctl_session=\"\"" in r.headers["Set-Cookie"]
    async with api.get("/api/v1/session") as r:
        assert r.status == 401
    async with api.get("/api/v1/me") as r:
        assert (r.status, (await r.json())["error"]["message"]) == \
            (401, "send 'Authorization: Bearer <token>' (or sign in)")


def test_given_the_sign_in_and_workspace_routes_then_the_openapi_document_validates():
    from openapi_spec_validator import validate

    from callctl.api.http import openapi_document
    from callctl.api.signin import signin_routes
    from callctl.api.workspace import workspace_routes
    routes = signin_routes(None, SignIn(None), None) + workspace_routes(
        None, None, None, None, None, ws_url="ws://127.0.0.1:8088/ws", timezone_name="UTC")
    document = openapi_document(routes)
    validate(document)
    assert "429" in document["paths"]["/api/v1/session"]["post"]["responses"]
    report = document["paths"]["/api/v1/reports/employees"]["get"]
    assert report["description"].startswith("Needs the manager access level or higher.")
