"""The API as a user meets it: the real DirectoryService and SchemeService on a real database
(SQLite or PostgreSQL), served by aiohttp's test server, with tokens for one admin, one
manager and one operator."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestClient, TestServer

from callctl.api.http import make_api
from callctl.directory import DirectoryService
from callctl.project.services import build_services
from callctl.prompts.service import PromptService
from callctl.routing.service import RoutingService
from callctl.schemes import SchemeService
from callctl.store.api_tokens import ApiTokens
from callctl.store.db import make_engine, sessions, upgrade


@dataclass
class Company:
    service: DirectoryService
    tokens: ApiTokens
    client: TestClient
    admin: dict
    manager: dict
    operator: dict
    schemes: SchemeService
    prompts: PromptService
    routing: RoutingService

    async def call(self, method: str, path: str, who: dict | None = None, **kw):
        """(status, json body) of one request, authenticated as `who` when given."""
        headers = {**kw.pop("headers", {}),
                   **({"Authorization": f"Bearer {who['token']}"} if who else {})}
        async with self.client.request(method, "/api/v1" + path, headers=headers, **kw) as r:
            return r.status, await r.json()


@pytest.fixture
def database(database_url):
    url = database_url
    upgrade(url)
    engine = make_engine(url)
    yield sessions(engine)
    engine.dispose()


async def start_company(database, mailer=None) -> Company:
    services = build_services(database, mailer=mailer)
    service = services.directory
    tokens = ApiTokens(database)
    staff = {}
    # Three employees: exactly the seats included, so the next one is billed.
    for name, ext, level in (("Ada Admin", "101", "admin"), ("Max Manager", "102", "manager"),
                             ("Olga Operator", "103", "operator")):
        # In a thread: with a mailer, the SMTP server may be running on this very loop.
        email = f"{name.split()[0].lower()}@example.com"
        await asyncio.to_thread(service.add_employee, name, email, ext, access_level=level,
                                phone_numbers=[f"+1202555{ext}0"])
        staff[level] = {"name": name, "token": tokens.create_token(name)}
    schemes, prompts = services.schemes, services.prompts
    client = TestClient(TestServer(make_api(service, tokens, schemes, prompts=prompts,
                                            routing=services.routing)))
    await client.start_server()
    return Company(service, tokens, client, staff["admin"], staff["manager"], staff["operator"],
                   schemes, prompts, services.routing)


@pytest.fixture
async def company(database):
    c = await start_company(database)
    yield c
    await c.client.close()
