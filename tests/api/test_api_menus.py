"""IVR menus, voicemail boxes and what serves a number, over HTTP: managers change them,
operators read them, a refused document answers 422 with every problem, a delete of
something still used 409 naming where; nothing changes when something is refused."""
from __future__ import annotations

import pytest

from tests.api.test_api_prompts import WAV, upload

BOX = {"name": "General", "notify": [{"employee": "Ada Admin"}, {"department": "Sales"}]}
MENU = {"name": "Main", "greeting": "hello",
        "options": {"1": {"department": "Sales"}, "2": {"employee": "Max Manager"},
                    "3": {"sip_account": "desk1"}, "0": {"voicemail": "General"},
                    "*": "repeat"},
        "retries": 1, "final": {"voicemail": "General"}}
STORED = {"name": "Main", "greeting": "hello",
          "options": {"0": {"voicemail": "General"}, "1": {"department": "Sales"},
                      "2": {"employee": "Max Manager"}, "3": {"sip_account": "desk1"},
                      "*": "repeat"},
          "digit_timeout": 5, "retries": 1, "ring_timeout": 30,
          "final": {"voicemail": "General"}}
DAY = {"name": "Day", "kind": "sequential", "branches": [{"name": "always", "blocks": [
    {"timeout": 60, "directions": [{"ivr": "Main"}]}]}]}


@pytest.fixture
async def office(company):
    """A department, a SIP account, a prompt, a box and a menu using all of them, and a
    company number."""
    await company.call("POST", "/departments", company.admin,
                       json={"name": "Sales", "extension": "200"})
    await company.call("POST", "/sip-accounts", company.admin, json={"login": "desk1"})
    await company.call("POST", "/numbers", company.admin,
                       json={"number": "+15550100", "employee": "Ada Admin"})
    await upload(company, company.manager, "hello", "hello.wav", WAV)
    assert (await company.call("POST", "/voicemail-boxes", company.manager, json=BOX))[0] == 201
    assert (await company.call("POST", "/menus", company.manager, json=MENU))[0] == 201
    return company


async def test_given_a_manager_when_creating_then_201_and_operators_read_the_document(
        company, office):
    status, listed = await company.call("GET", "/menus", company.operator)
    assert (status, listed) == (200, {"menus": [{"name": "Main", "numbers": []}]})

    status, doc = await company.call("GET", "/menus/Main", company.operator)
    assert (status, doc) == (200, {**STORED, "used_by": []})
    status, box = await company.call("GET", "/voicemail-boxes/general", company.operator)
    assert status == 200 and box["used_by"] == ["menu 'Main', option '0'",
                                                "menu 'Main', final direction"]
    assert box["max_seconds"] == 120 and box["notify"] == BOX["notify"]


async def test_given_an_operator_when_changing_then_403_and_nothing_changes(company, office):
    status, body = await company.call("POST", "/voicemail-boxes", company.operator,
                                      json={"name": "Other"})
    assert status == 403
    status, _ = await company.call("DELETE", "/menus/Main", company.operator)
    assert status == 403
    assert (await company.call("GET", "/voicemail-boxes", company.admin))[1] == {
        "voicemail_boxes": [{"name": "General", "numbers": []}]}


async def test_given_a_menu_with_several_faults_when_created_then_422_lists_every_problem(
        company, office):
    bad = {"name": "Bad", "greeting": "nope", "digit_timeout": 0,
           "options": {"1": {"employee": "Nobody"}, "10": {"department": "Sales"},
                       "a": "repeat", "2": {"queue": "Nope"}}}

    status, body = await company.call("POST", "/menus", company.manager, json=bad)

    assert status == 422 and body["error"]["entity"] == "IVR menu"
    assert [p["message"] for p in body["error"]["problems"]] == [
        "menu 'Bad': option '10': a key is one digit 0-9, * or # (quote '*' and '#' in YAML)",
        "menu 'Bad': option 'a': a key is one digit 0-9, * or # (quote '*' and '#' in YAML)",
        "menu 'Bad': key 'digit_timeout': 0 must be a whole number from 1 to 60"]
    del bad["digit_timeout"], bad["options"]["10"], bad["options"]["a"]
    status, body = await company.call("POST", "/menus", company.manager, json=bad)
    assert status == 422 and [p["message"] for p in body["error"]["problems"]] == [
        "menu 'Bad': option '1': direction employee 'Nobody': no such employee",
        "menu 'Bad': option '2': direction queue 'Nope': no such queue",
        "menu 'Bad': prompt 'nope': no such prompt (upload it first: callctl prompts add)"]
    assert [m["name"] for m in (await company.call("GET", "/menus", company.admin))[1]
            ["menus"]] == ["Main"]


@pytest.mark.parametrize("body, status, words", [
    ({**BOX, "name": "GENERAL"}, 409, "another voicemail box already has this name"),
    (BOX, 409, "already exists"),
    ({"name": "X", "max_seconds": 601}, 422, "key 'max_seconds': 601 must be a whole number "
                                             "of seconds from 1 to 600"),
    ({"name": "X", "notify": [{"email": "office@@example"}]}, 422,
     "notify email 'office@@example': not an e-mail address"),
    ({"name": "X", "notify": [{"sms": "call me"}]}, 422, "notify sms 'call me': not a phone "
                                                         "number"),
    ({"name": "X", "colour": "red"}, 400, "colour: is not a known field"),
    ({"max_seconds": 30}, 400, "name: is required"),
])
async def test_given_a_bad_box_when_created_then_refused_and_nothing_changes(
        company, office, body, status, words):
    got, answer = await company.call("POST", "/voicemail-boxes", company.manager, json=body)

    assert got == status and words in answer["error"]["message"]
    assert (await company.call("GET", "/voicemail-boxes/General", company.admin))[1][
        "notify"] == BOX["notify"]


async def test_given_a_menu_fetched_when_put_back_edited_then_replaced(company, office):
    _, doc = await company.call("GET", "/menus/Main", company.manager)
    doc["options"]["9"] = "hangup"

    status, body = await company.call("PUT", "/menus/Main", company.manager, json=doc)

    assert (status, body) == (200, {"kind": "ivr", "name": "Main", "replaced": True})
    assert (await company.call("GET", "/menus/Main", company.operator))[1]["options"]["9"] \
        == "hangup"


@pytest.mark.parametrize("path, body, status, words", [
    ("/menus/Main", {**MENU, "name": "Other"}, 422, "differs from the path"),
    ("/menus/Nope", {k: v for k, v in MENU.items() if k != "name"}, 404,
     "no IVR menu named 'Nope'"),
    ("/voicemail-boxes/Nope", {"name": "Nope"}, 404, "no voicemail box named 'Nope'"),
])
async def test_given_a_bad_replace_then_refused(company, office, path, body, status, words):
    got, answer = await company.call("PUT", path, company.manager, json=body)
    assert got == status and words in answer["error"]["message"]


async def test_given_a_number_served_by_a_menu_then_it_says_so_and_the_menu_stays(
        company, office):
    status, body = await company.call("PUT", "/numbers/%2B15550100/route", company.manager,
                                      json={"kind": "ivr", "target": "main"})
    assert (status, body) == (200, {"number": "+15550100", "kind": "ivr", "target": "Main",
                                    "previous": None})
    status, body = await company.call("GET", "/numbers/%2B15550100/route", company.operator)
    assert (status, body) == (200, {"number": "+15550100", "kind": "ivr", "target": "Main"})

    status, body = await company.call("DELETE", "/menus/Main", company.manager)

    assert status == 409
    assert body["error"]["usages"] == ["number +15550100 is served by it"]
    assert "IVR menu 'Main': still used: number +15550100 is served by it" in \
        body["error"]["message"]
    status, body = await company.call("DELETE", "/numbers/%2B15550100/route", company.manager)
    assert (status, body["previous"]) == (200, {"kind": "ivr", "target": "Main"})
    assert (await company.call("DELETE", "/menus/Main", company.manager))[0] == 200


async def test_given_a_number_moved_between_scheme_menu_and_box_then_one_serves_it(
        company, office):
    await company.call("POST", "/schemes", company.manager, json=DAY)
    await company.call("PUT", "/numbers/%2B15550100/scheme", company.manager,
                       json={"scheme": "Day"})

    status, body = await company.call("PUT", "/numbers/%2B15550100/route", company.manager,
                                      json={"kind": "voicemail", "target": "General"})
    assert (status, body["previous"]) == (200, {"kind": "scheme", "target": "Day"})
    assert (await company.call("GET", "/schemes", company.manager))[1]["schemes"][0][
        "numbers"] == []
    status, body = await company.call("PUT", "/numbers/%2B15550100/route", company.manager,
                                      json={"kind": "scheme", "target": "Day"})
    assert (status, body["previous"]) == (200, {"kind": "voicemail", "target": "General"})
    assert (await company.call("GET", "/voicemail-boxes", company.manager))[1] == {
        "voicemail_boxes": [{"name": "General", "numbers": []}]}


@pytest.mark.parametrize("number, body, status, words", [
    ("%2B15559999", {"kind": "ivr", "target": "Main"}, 404, "not a company number"),
    ("%2B15550100", {"kind": "ivr", "target": "Nope"}, 422, "IVR menu 'Nope': no such IVR menu"),
    ("%2B15550100", {"kind": "scheme", "target": "Nope"}, 422, "scheme 'Nope': no such scheme"),
    ("%2B15550100", {"kind": "webhook", "target": "W"}, 400, "kind: must be one of scheme, "
                                                            "ivr, voicemail, queue"),
    ("%2B15550100", {"kind": "queue", "target": "Q"}, 422, "queue 'Q': no such queue"),
    ("%2B15550100", {"kind": "ivr"}, 400, "target: is required"),
])
async def test_given_a_bad_route_when_put_then_refused_and_the_number_keeps_its_own(
        company, office, number, body, status, words):
    got, answer = await company.call("PUT", f"/numbers/{number}/route", company.manager,
                                     json=body)
    assert got == status and words in answer["error"]["message"]
    assert (await company.call("GET", "/numbers/%2B15550100/route", company.manager))[1] == {
        "number": "+15550100", "kind": None, "target": None}


# ---- deleting what a menu or box names: refused, naming where --------------------------

@pytest.mark.parametrize("path, usage", [
    ("/employees/Max%20Manager", "menu 'Main', option '2' names it"),
    ("/employees/Ada%20Admin", "; voicemail box 'General' notifies it"),
    ("/departments/Sales", "menu 'Main', option '1' names it"),
    ("/sip-accounts/desk1", "menu 'Main', option '3' names it"),
    ("/prompts/hello", "still used: menu 'Main'"),
    ("/voicemail-boxes/General", "still used: menu 'Main', option '0'; menu 'Main', final "
                                 "direction"),
])
async def test_given_something_a_menu_or_box_names_when_deleted_then_409_naming_where(
        company, office, path, usage):
    status, body = await company.call("DELETE", path, company.admin)
    assert status == 409 and usage in body["error"]["message"]
    if not path.startswith(("/prompts", "/voicemail")):  # a directory delete can force...
        status, body = await company.call("DELETE", path + "?force=true", company.admin)
        assert status == 409 and "still used and cannot be detached" in \
            body["error"]["message"]  # ...but a menu cannot be left leading nowhere
    assert (await company.call("GET", "/menus/Main", company.admin))[1]["options"] == \
        STORED["options"]


async def test_given_a_menu_a_scheme_walks_when_deleted_then_409_naming_the_block(
        company, office):
    await company.call("POST", "/schemes", company.manager, json=DAY)

    status, body = await company.call("DELETE", "/menus/Main", company.manager)

    assert status == 409
    assert body["error"]["usages"] == ["scheme 'Day', branch 'always', block 1"]


async def test_given_a_scheme_a_menu_leads_to_when_deleted_then_refused_naming_the_menu(
        company, office):
    await company.call("POST", "/schemes", company.manager, json={
        **DAY, "name": "Night", "branches": [{"name": "always", "blocks": [
            {"timeout": 20, "directions": [{"employee": "Ada Admin"}]}]}]})
    await company.call("PUT", "/menus/Main", company.manager,
                       json={**MENU, "options": {"5": {"scheme": "Night"}}})

    status, body = await company.call("DELETE", "/schemes/Night", company.manager)

    assert status == 422
    assert "scheme 'Night': still used: menu 'Main' leads to it" in body["error"]["message"]
