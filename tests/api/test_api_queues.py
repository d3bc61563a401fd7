"""Queues over HTTP: the document like menus and boxes, plus a queue's live status and its
report. Managers change, operators read; a refused document changes nothing."""
from __future__ import annotations

import pytest

QUEUE = {"name": "Sales line", "operators": [{"employee": "Max Manager"},
                                             {"employee": "Ada Admin"}],
         "strategy": "rrmemory", "max_wait": 90, "wrapup_seconds": 10}


@pytest.fixture
async def queue(company):
    status, body = await company.call("POST", "/queues", company.manager, json=QUEUE)
    assert (status, body) == (201, {"kind": "queue", "name": "Sales line", "replaced": False})
    return company


async def test_given_a_queue_when_read_then_its_document_with_defaults(company, queue):
    status, listed = await company.call("GET", "/queues", company.operator)
    assert (status, listed) == (200, {"queues": [{"name": "Sales line", "numbers": []}]})

    status, doc = await company.call("GET", "/queues/sales%20line", company.operator)

    assert status == 200
    assert doc["operators"] == QUEUE["operators"] and doc["strategy"] == "rrmemory"
    assert (doc["max_wait"], doc["wrapup_seconds"], doc["ring_seconds"]) == (90, 10, 15)
    assert doc["used_by"] == []


async def test_given_a_queue_when_nobody_waits_then_status_lists_its_operators(
        company, queue):
    # Both have a mobile number; Ada switches her status lamp off.
    assert (await company.call("PATCH", "/employees/Ada%20Admin", company.admin,
                               json={"online": False}))[0] == 200

    status, body = await company.call("GET", "/queues/Sales%20line/status", company.operator)

    assert status == 200 and body["waiting"] == []
    assert body["operators"] == [{"operator": "Max Manager", "state": "free"},
                                 {"operator": "Ada Admin", "state": "offline"}]


async def test_given_a_queue_without_calls_then_its_report_counts_nothing(company, queue):
    status, body = await company.call(
        "GET", "/queues/Sales%20line/report?since=2026-01-01T00:00:00%2B02:00",
        company.operator)

    assert status == 200
    assert (body["offered"], body["answered"], body["abandoned"]) == (0, 0, 0)


@pytest.mark.parametrize("path, status, words", [
    ("/queues/Nope/status", 404, "no queue named 'Nope'"),
    ("/queues/Nope/report", 404, "no queue named 'Nope'"),
    ("/queues/Sales%20line/report?since=yesterday", 400, "since: 'yesterday' is not a date"),
    ("/queues/Sales%20line/report?until=2026-12-01T10:00:00", 400, "with its offset"),
    ("/queues/Sales%20line/report?since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z",
     400, "since: must be before until"),
])
async def test_given_a_bad_status_or_report_request_then_refused_naming_why(
        company, queue, path, status, words):
    got, body = await company.call("GET", path, company.operator)
    assert got == status and words in body["error"]["message"]


@pytest.mark.parametrize("body, status, words", [
    ({**QUEUE, "strategy": "loudest"}, 422, "key 'strategy': 'loudest' is not one of"),
    ({**QUEUE, "operators": [{"employee": "Nobody"}]}, 422, "no such employee"),
    ({**QUEUE, "operators": [{"voicemail": "X"}]}, 422, "an operator is a sip_account"),
    ({**QUEUE, "max_wait": 0}, 422, "key 'max_wait': 0 must be a whole number from 1"),
    ({**QUEUE, "colour": "red"}, 400, "colour: is not a known field"),
])
async def test_given_a_bad_queue_when_replaced_then_refused_and_nothing_changes(
        company, queue, body, status, words):
    got, answer = await company.call("PUT", "/queues/Sales%20line", company.manager, json=body)

    assert got == status and words in answer["error"]["message"]
    assert (await company.call("GET", "/queues/Sales%20line", company.admin))[1][
        "strategy"] == "rrmemory"


async def test_given_an_operator_when_changing_a_queue_then_403(company, queue):
    assert (await company.call("DELETE", "/queues/Sales%20line", company.operator))[0] == 403
    assert (await company.call("POST", "/queues", company.operator,
                               json={**QUEUE, "name": "Other"}))[0] == 403


async def test_given_a_number_served_by_a_queue_then_the_queue_cannot_be_deleted(
        company, queue):
    await company.call("POST", "/numbers", company.admin,
                       json={"number": "+15550100", "employee": "Ada Admin"})
    status, body = await company.call("PUT", "/numbers/%2B15550100/route", company.manager,
                                      json={"kind": "queue", "target": "sales line"})
    assert (status, body["kind"], body["target"]) == (200, "queue", "Sales line")

    status, body = await company.call("DELETE", "/queues/Sales%20line", company.manager)
    assert status == 409 and "+15550100" in body["error"]["message"]

    assert (await company.call("DELETE", "/numbers/%2B15550100/route", company.manager))[0] \
        == 200
    assert (await company.call("DELETE", "/queues/Sales%20line", company.manager))[0] == 200
    assert (await company.call("GET", "/queues", company.admin))[1] == {"queues": []}
