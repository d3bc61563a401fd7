"""The generated bad-input corpus's HTTP requests (tests/support/badinput.py): each is a 4xx
naming what is wrong, never a 500, and the database is exactly as it was."""
import pytest
from aiohttp.test_utils import TestClient, TestServer

from callctl.api.http import make_api
from callctl.project.importer import export_project, import_project
from callctl.project.services import build_services
from callctl.store.api_tokens import ApiTokens
from callctl.store.db import make_engine, sessions, upgrade
from callctl.yamldoc import parse
from tests.support.badinput import BASE, _yaml, api_requests

REQUESTS = api_requests()


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('api-corpus') / 'callctl.db'}"
    upgrade(url)
    engine = make_engine(url)
    import_project(engine, build_services, parse(_yaml(BASE), "base.yaml"), dry_run=False)
    yield engine
    engine.dispose()


@pytest.fixture
async def client(database):
    services = build_services(sessions(database))
    tokens = ApiTokens(sessions(database))
    client = TestClient(TestServer(make_api(services.directory, tokens, services.schemes,
                                            routing=services.routing)))
    await client.start_server()
    client.token = tokens.create_token("Alice Smith")  # an admin
    client.services = services
    yield client
    await client.close()


def state(services) -> tuple:
    return export_project(services), services.directory.version()


def test_the_corpus_has_enough_requests():
    assert len(REQUESTS) >= 100


@pytest.mark.parametrize("case", REQUESTS, ids=[r.name for r in REQUESTS])
async def test_given_a_bad_request_then_4xx_naming_it_and_nothing_changes(client, case):
    before = state(client.services)
    headers = {"Authorization": f"Bearer {client.token}", "Content-Type": "application/json"}
    async with client.request(case.method, "/api/v1" + case.path, data=case.body,
                              headers=headers) as r:
        status, body = r.status, await r.json()
    assert 400 <= status < 500, body
    error = body["error"]
    assert case.where in f"{error.get('field')} {error['message']}"
    assert len(error["message"]) < 3000
    assert state(client.services) == before
