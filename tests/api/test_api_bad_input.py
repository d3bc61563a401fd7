"""Malformed requests (issue 16, item 5): each is a 4xx naming what is wrong, never a 500,
and nothing changes."""
import json

import pytest


async def body_of(company, method, path, data, who=None, content_type="application/json"):
    headers = {"Content-Type": content_type}
    return await company.call(method, path, who or company.admin, data=data, headers=headers)


@pytest.mark.parametrize("data, message", [
    ('{"full_name": "Ann"}'.encode("utf-16"), "body: not UTF-8 text (byte 0xff at offset 0)"),
    (b'{"full_name": "Ann \xe9"}', "body: not UTF-8 text (byte 0xe9 at offset 19)"),
    (b"[" * 100_000 + b"]" * 100_000, "body: nested too deeply"),
    (b'{"full_name": "Ann \\ud800", "email": "a@example.com", "extension": "150"}',
     "full_name: not valid Unicode (a lone surrogate"),
    (b'{"full_name": "Ann", "phone_numbers": ["\\udfff"]}', "phone_numbers: not valid Unicode"),
])
async def test_given_a_malformed_body_when_posted_then_400_naming_it(company, data, message):
    before = await company.call("GET", "/employees", company.admin)
    status, body = await body_of(company, "POST", "/employees", data)
    assert status == 400 and message in body["error"]["message"]
    assert await company.call("GET", "/employees", company.admin) == before


async def test_given_a_huge_unknown_field_when_posted_then_the_message_stays_short(company):
    status, body = await body_of(company, "POST", "/employees",
                                 json.dumps({"x" * 500_000: 1}).encode())
    assert status == 400 and len(body["error"]["message"]) < 200


@pytest.mark.parametrize("field, value, message", [
    ("full_name", "Ann\nLee", "full_name: control character U+000A at position 4"),
    ("full_name", "olga  OPERATOR", "another employee already has this name ('Olga Operator')"),
    ("phone_numbers", ["\u0665\u0665\u0665\u0660\u0661\u0669\u0669"], "is not a phone number"),
])
async def test_given_a_bad_value_when_creating_then_422_or_409_and_nothing_stored(
        company, field, value, message):
    doc = {"full_name": "Ann Lee", "email": "ann@example.com", "extension": "150", field: value}
    status, body = await company.call("POST", "/employees", company.admin, json=doc)
    assert status in (409, 422) and message in body["error"]["message"]
    _, listed = await company.call("GET", "/employees", company.admin)
    assert "ann@example.com" not in json.dumps(listed)
