"""Calls over the API (one call, its voicemail message's audio) with each access level's
view, and the signed listen link of a notification, served by aiohttp's test server on a
real SQLite database."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer

from callctl.api.calls import mount_listen_links
from callctl.api.http import make_api
from callctl.domain.catalog import Catalog
from callctl.routing.service import RoutingService
from callctl.store.calls import CallLog
from callctl.store.messages import Messages
from callctl.store.notifications import Outbox
from callctl.voicemail.links import ListenLinks
from callctl.voicemail.listening import Listening
from tests.support.audio import dominant_frequency, samples_of, wav

from .conftest import start_company

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
LINKS = ListenLinks(b"s" * 32, "http://unused", timedelta(days=7))


@pytest.fixture
async def calls(database):
    """Ada (admin); Max (manager) and Olga (operator) in Sales; Sam (operator) in Support.
    Calls: answered by Olga; answered by Sam; a message in box Sales desk (tells Sales); a
    message in box Office (tells an address only)."""
    company = await start_company(database)
    service = company.service
    for name, ext in (("Sales", "600"), ("Support", "601")):
        await asyncio.to_thread(service.add_department, name, ext)
    for name, dept in (("Max Manager", "Sales"), ("Olga Operator", "Sales")):
        await asyncio.to_thread(service.edit_employee, name, department=dept)
    await asyncio.to_thread(service.add_employee, "Sam Support", "sam@example.com", "104",
                            department="Support")
    routing = RoutingService(database, service)
    for box, notify in (("Sales desk", [{"department": "Sales"}]),
                        ("Office", [{"email": "office@example.com"}])):
        await asyncio.to_thread(routing.save, "voicemail", {"name": box, "notify": notify})
    log, messages = CallLog(database), Messages(database)
    for call_id, who, dept in (("olga-call", "Olga Operator", "Sales"),
                               ("sam-call", "Sam Support", "Support")):
        log.started(call_id, "inbound", "+15550100", "+15557654321", T0)
        log.answered(call_id, who, "PJSIP/x", T0 + timedelta(seconds=3), department=dept)
        log.ended(call_id, "answered", T0 + timedelta(seconds=60))
    ids = {}
    for call_id, box in (("sales-vm", "Sales desk"), ("office-vm", "Office")):
        log.started(call_id, "inbound", "+15550101", "+15557654321", T0)
        log.voicemail_started(call_id, box)
        log.ended(call_id, "voicemail", T0 + timedelta(seconds=30))
        ids[call_id] = messages.add(call_id, box, f"callctl-vm-{call_id}", 2.0,
                                    wav(1000, 2.0), T0)
    Outbox(database).queue(ids["sales-vm"], [("email", "max@example.com")], T0)

    def catalog():
        return Catalog(directory=service.snapshot(), boxes=routing.snapshot().boxes)

    listening = Listening(log, messages, Outbox(database), catalog, ZoneInfo("Europe/Berlin"))
    app = make_api(service, company.tokens, calls=listening)
    now = [T0]
    mount_listen_links(app, lambda: LINKS, messages.audio, clock=lambda: now[0])
    client = TestClient(TestServer(app))
    await client.start_server()
    sam = {"name": "Sam Support", "token": company.tokens.create_token("Sam Support")}
    yield company, client, sam, ids, now
    await client.close()
    await company.client.close()


async def get(client, path, who):
    async with client.get("/api/v1" + path,
                          headers={"Authorization": f"Bearer {who['token']}"}) as r:
        body = await (r.json() if r.content_type == "application/json" else r.read())
        return r.status, body


@pytest.mark.parametrize("level, visible", [
    ("admin", {"olga-call", "sam-call", "sales-vm", "office-vm"}),
    ("manager", {"olga-call", "sales-vm"}),
    ("operator", {"olga-call", "sales-vm"}),
])
async def test_given_each_level_when_showing_calls_then_only_the_calls_its_rule_covers(
        calls, level, visible):
    company, client, _sam, _ids, _now = calls
    who = getattr(company, level)
    seen = set()
    for call_id in ("olga-call", "sam-call", "sales-vm", "office-vm"):
        status, body = await get(client, f"/calls/{call_id}", who)
        assert status in (200, 403), body
        if status == 200:
            seen.add(call_id)
        else:
            assert body["error"]["message"].startswith(f"{who['name']} ({level}) may see ")
            assert body["error"]["message"].endswith(f"call {call_id!r} is not one of them")
    assert seen == visible


async def test_given_an_operator_of_another_department_then_only_their_own_call(calls):
    _company, client, sam, _ids, _now = calls
    assert (await get(client, "/calls/sam-call", sam))[0] == 200
    assert (await get(client, "/calls/olga-call", sam))[0] == 403
    assert (await get(client, "/calls/sales-vm/recording", sam))[0] == 403


async def test_given_a_call_with_a_message_then_the_call_lists_it_and_the_audio_plays(calls):
    company, client, _sam, _ids, _now = calls
    status, doc = await get(client, "/calls/sales-vm", company.operator)
    assert status == 200
    assert (doc["outcome"], doc["started_at"]) == ("voicemail", "2026-11-23T10:00:00+01:00")
    assert doc["message"] == {
        "box": "Sales desk", "seconds": 2.0, "recorded_at": "2026-11-23T10:00:00+01:00",
        "recording": "/api/v1/calls/sales-vm/recording",
        "notifications": [{"channel": "email", "recipient": "max@example.com",
                           "state": "pending", "attempts": 0, "last_error": None,
                           "finished_at": None}]}
    async with client.get("/api/v1/calls/sales-vm/recording", headers={
            "Authorization": f"Bearer {company.operator['token']}"}) as r:
        assert (r.status, r.content_type) == (200, "audio/wav")
        audio = await r.read()
    assert abs(dominant_frequency(samples_of(audio), 8000) - 1000) < 5


async def test_given_unknown_calls_or_no_message_then_404_naming_it(calls):
    company, client, _sam, _ids, _now = calls
    status, body = await get(client, "/calls/nope", company.admin)
    assert (status, body["error"]["message"]) == (404, "no call with id 'nope'")
    status, body = await get(client, "/calls/olga-call/recording", company.admin)
    assert (status, body["error"]["message"]) == (404, "call 'olga-call' has no voicemail "
                                                       "message")
    status, doc = await get(client, "/calls/olga-call", company.admin)
    assert doc["message"] is None and doc["answered_by"] == "Olga Operator"


async def test_given_no_token_then_401(calls):
    _company, client, _sam, _ids, _now = calls
    async with client.get("/api/v1/calls/sales-vm/recording") as r:
        assert r.status == 401


async def test_given_the_openapi_document_then_the_call_routes_are_in_it(calls):
    company, client, _sam, _ids, _now = calls
    _status, doc = await get(client, "/openapi.json", company.operator)
    recording = doc["paths"]["/api/v1/calls/{id}/recording"]["get"]
    assert list(recording["responses"]["200"]["content"]) == ["audio/wav"]
    assert "operators the calls they answered" in recording["description"]
    assert {"401", "403", "404"} <= set(recording["responses"])
    assert doc["paths"]["/api/v1/calls/{id}"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"] == {"$ref": "#/components/schemas/Call"}
    from openapi_spec_validator import validate
    validate(doc)


# ---- the signed link of a notification -------------------------------------------------------

async def test_given_a_genuine_link_then_the_wav_without_a_token(calls):
    _company, client, _sam, ids, _now = calls
    link = LINKS.link(ids["office-vm"], T0)[0].removeprefix("http://unused")
    async with client.get(link) as r:
        assert (r.status, r.content_type) == (200, "audio/wav")
        assert r.headers["Cache-Control"] == "private, no-store"
        assert abs(dominant_frequency(samples_of(await r.read()), 8000) - 1000) < 5


async def test_given_a_changed_link_then_403_saying_it_is_not_valid(calls):
    _company, client, _sam, ids, _now = calls
    link = LINKS.link(ids["office-vm"], T0)[0].removeprefix("http://unused")
    other = link.replace(f"/{ids['office-vm']}.wav", f"/{ids['sales-vm']}.wav")
    for wrong in (other, link.split("&sig=")[0], link.replace("expires=", "expires=1")):
        async with client.get(wrong) as r:
            assert r.status == 403
            assert "not valid: it is incomplete or was changed" in await r.text()


async def test_given_an_expired_link_then_410_saying_when(calls):
    _company, client, _sam, ids, now = calls
    link = LINKS.link(ids["office-vm"], T0)[0].removeprefix("http://unused")
    now[0] = T0 + timedelta(days=7)
    async with client.get(link) as r:
        assert r.status == 410
        assert "expired on 2026-11-30 09:00 UTC" in await r.text()


async def test_given_a_deleted_message_then_404(calls):
    _company, client, _sam, _ids, _now = calls
    async with client.get(LINKS.link(999, T0)[0].removeprefix("http://unused")) as r:
        assert (r.status, await r.text()) == (404, "This voicemail message no longer exists.\n")
