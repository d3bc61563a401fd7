"""The served OpenAPI document: valid 3.1, and it describes every registered route."""
from __future__ import annotations

import re

from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
import pytest

from callctl.api.http import ROUTES


async def _document(company) -> dict:
    async with company.client.get("/api/v1/openapi.json") as r:  # no token needed
        assert r.status == 200
        return await r.json()


async def test_given_the_api_when_fetching_openapi_then_it_validates_as_openapi_3_1(company):
    doc = await _document(company)

    assert doc["openapi"] == "3.1.0"
    validate(doc)  # raises on any structural error
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {"type": "http",
                                                                   "scheme": "bearer"}


def test_given_a_broken_document_when_validating_then_the_validator_notices():
    # Guards the test above against a validator that accepts anything.
    with pytest.raises(OpenAPIValidationError):
        validate({"openapi": "3.1.0", "info": {"title": "x"}, "paths": {"/x": {"get": {
            "responses": {"200": {"content": "nope"}}}}}})


async def test_given_the_router_when_fetching_openapi_then_every_registered_route_is_there(
        company):
    doc = await _document(company)
    app = company.client.server.app

    # The API is a sub-application mounted at /api/v1: walk what aiohttp actually routes.
    registered = {(route.method.lower(), route.resource.canonical)
                  for resource in app.router.resources() for route in resource
                  if route.method != "HEAD"  # aiohttp adds HEAD beside each GET
                  and route.resource.canonical.startswith("/api/v1/")}  # not /invite/...
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}

    assert registered == documented
    [api] = [r.get_info()["app"] for r in app.router.resources() if "app" in r.get_info()]
    assert len(api[ROUTES]) == len(documented) == 60


async def test_given_openapi_when_reading_operations_then_bodies_levels_and_errors_are_described(
        company):
    doc = await _document(company)
    create = doc["paths"]["/api/v1/employees"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]

    assert body["required"] == ["full_name", "email", "extension"]
    assert body["properties"]["phone_numbers"] == {
        "type": "array", "items": {"type": "string"},
        "description": "primary: ring when the employee is called"}
    assert body["properties"]["department"]["type"] == ["string", "null"]
    assert set(create["responses"]) == {"201", "400", "401", "403", "409", "422"}
    assert create["security"] == [{"bearerAuth": []}]
    assert "admin access level" in create["description"]

    delete = doc["paths"]["/api/v1/employees/{name}"]["delete"]
    assert [p["name"] for p in delete["parameters"]] == ["name", "force"]
    assert doc["paths"]["/api/v1/openapi.json"]["get"]["security"] == []
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z_0-9]+", i) for i in ids)
