"""The operator workspace in real Chromium, on the real daemon, the sandbox Asterisk and
pjsua2 phones: the status lamp and routing, click-to-call, the screen pop with the caller's
history, client search, editing and merging cards, today's calls, colleagues live, the
managers' report, and what one operator may not do to another's calls."""
from __future__ import annotations

import importlib.util
import statistics
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from tests.integration.conftest import ALICE_NUMBER, BOB_NUMBER, CUSTOMER, cli
from tests.support.browser import sign_in
from tests.support.workspace import (PASSWORD, alice_page, chromium, shot,  # noqa: F401
                                     staff)

POP_LIMIT_MS = 300  # the screen-pop goal (bench/screen_pop.py measures the same path)
T = 4  # block timeout of the test scheme, seconds


def answer_and_end(call, callee):
    callee.answer()
    call.wait_state("CONFIRMED")
    call.hangup()
    callee.wait_disconnected()


def test_given_the_lamp_turned_offline_then_the_scheme_skips_her_and_colleagues_see_it(
        daemon, staff, chromium, alice_page, registered, carrier, tmp_path):
    scheme = {"name": "Sales line", "kind": "sequential", "branches": [{"name": "always",
              "blocks": [{"timeout": T, "directions": [{"employee": "Alice Smith"}]},
                         {"timeout": T, "directions": [{"employee": "Bob Jones"}]}]}]}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(scheme))
    cli(daemon.path, "schemes", "add", str(tmp_path / "s.yaml"), "--replace")
    cli(daemon.path, "schemes", "assign", BOB_NUMBER, "Sales line")
    bob = sign_in(chromium.page(staff.base), "bob@example.com", PASSWORD)
    alice_at_bob = bob.locator("[data-testid='colleague-Alice Smith'] [data-testid=colleague-state]")
    alice_at_bob.filter(has_text="available").wait_for()
    sales_at_bob = bob.locator("[data-testid=department-Sales] [data-testid=department-state]")
    sales_at_bob.filter(has_text="2 of 3 available").wait_for()  # Carol has no phone on line

    alice_page.click("[data-testid=status]")
    alice_page.wait_for_selector("[data-testid=status]:has-text('OFFLINE')")
    alice_at_bob.filter(has_text="off line").wait_for()  # pushed live to Bob's page
    sales_at_bob.filter(has_text="1 of 3 available").wait_for()
    daemon.wait_directory_loaded()
    started = time.monotonic()
    call = carrier.call(BOB_NUMBER, caller_id=CUSTOMER)
    at_bob = registered["bob"].wait_incoming(timeout=T)
    assert time.monotonic() - started < T - 1  # at once: Alice's block was not waited out
    registered["alice"].expect_no_incoming(within=0.2)
    answer_and_end(call, at_bob)

    alice_page.click("[data-testid=status]")  # back on line: she is rung again
    alice_page.wait_for_selector("[data-testid=status]:has-text('ON LINE')")
    alice_at_bob.filter(has_text="available").wait_for()
    daemon.wait_directory_loaded()
    call = carrier.call(BOB_NUMBER, caller_id=CUSTOMER)
    answer_and_end(call, registered["alice"].wait_incoming(timeout=T))
    cli(daemon.path, "schemes", "unassign", BOB_NUMBER)


def test_given_the_dial_box_when_alice_calls_a_customer_then_her_phone_rings_then_the_carrier(
        daemon, alice_page, registered, carrier):
    cli(daemon.path, "outgoing", "rules", "add", "--company", "--number", ALICE_NUMBER,
        "--replace")
    alice_page.fill("[data-testid=dial]", "+1 555 765 4321")
    alice_page.click(".dial button")
    alice_page.wait_for_selector("[data-testid=notice]:has-text('Your phone rings first')")
    at_alice = registered["alice"].wait_incoming(timeout=5)
    assert at_alice.remote_user == CUSTOMER
    carrier.expect_no_incoming(within=0.3)  # nothing dialled before she answers
    at_alice.answer()
    at_carrier = carrier.wait_incoming(timeout=5)
    assert (at_carrier.local_user, at_carrier.remote_user) == (CUSTOMER, ALICE_NUMBER)
    at_carrier.answer()
    alice_page.wait_for_selector(f"[data-testid=call-row]:has-text('{CUSTOMER}')")
    at_carrier.hangup()
    at_alice.wait_disconnected()
    daemon.wait_log("call.ended", outcome="answered")


def test_given_an_incoming_call_then_the_card_pops_with_history_within_the_limit(
        daemon, staff, alice_page, registered, carrier):
    caller = "+15550102030"
    status, card = staff.api("POST", "/clients", {
        "name": "Globex Corporation", "company": "Globex", "phones": [caller],
        "comment": "prefers mornings"})
    assert status == 201, card
    first = carrier.call(ALICE_NUMBER, caller_id=caller)  # the history the pop will show
    answer_and_end(first, registered["alice"].wait_incoming())
    daemon.wait_log("call.ended", outcome="answered")
    delays = []
    for _ in range(3):
        alice_page.evaluate("document.querySelector('[data-testid=pop-close]')?.click()")
        started = time.monotonic()
        call = carrier.call(ALICE_NUMBER, caller_id=caller)
        alice_page.wait_for_selector("[data-testid=screen-pop]", timeout=5000)
        delays.append((time.monotonic() - started) * 1000)
        at_alice = registered["alice"].wait_incoming()
        assert alice_page.inner_text("[data-testid=card-name]") == "Globex Corporation"
        assert alice_page.inner_text("[data-testid=card-comment]") == "prefers mornings"
        alice_page.wait_for_selector("[data-testid=history] li:has-text('answered')")
        shot(alice_page, "screen-pop")
        answer_and_end(call, at_alice)
        daemon.wait_log("call.ended", outcome="answered")
    assert statistics.median(delays) <= POP_LIMIT_MS, delays


def test_given_an_unknown_caller_then_a_new_card_pops_and_a_missed_call_is_red(
        daemon, alice_page, registered, carrier):
    caller = "+15550107777"
    call = carrier.call(ALICE_NUMBER, caller_id=caller)
    pop = alice_page.wait_for_selector("[data-testid=screen-pop]")
    assert pop.inner_text() == f"Incoming call from {caller} (new client)"
    assert alice_page.inner_text("[data-testid=card-name]") == caller
    registered["alice"].wait_incoming().reject(486)  # busy: the call is not taken
    call.wait_disconnected(timeout=10)
    row = alice_page.wait_for_selector(f"[data-testid=call-row]:has-text('{caller}')")
    assert row.get_attribute("class") == "missed"
    color = row.eval_on_selector("td", "td => getComputedStyle(td).color")
    assert color == "rgb(192, 38, 45)"  # red


def scripts_demo():
    """scripts/demo.py, whose `customer_call` is the demo's caller from outside."""
    spec = importlib.util.spec_from_file_location(
        "demo_script", Path(__file__).resolve().parents[2] / "scripts" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_given_the_demos_customer_call_then_the_card_pops_and_alice_hears_the_customer(
        daemon, asterisk, alice_page, registered):
    caller = "+15550109999"
    with ThreadPoolExecutor(1) as thread:  # its asyncio.run: Playwright's loop is this thread's
        thread.submit(scripts_demo().customer_call, asterisk, ALICE_NUMBER, caller).result()
    pop = alice_page.wait_for_selector("[data-testid=screen-pop]")
    assert pop.inner_text() == f"Incoming call from {caller} · Demo customer (new client)"
    at_alice = registered["alice"].wait_incoming()
    assert at_alice.remote_user == caller
    at_alice.answer()
    at_alice.wait_state("CONFIRMED")
    heard = at_alice.record(1.0)  # the customer's recording, not silence
    assert heard and (sum(x * x for x in heard) / len(heard)) ** 0.5 > 200
    at_alice.hangup()
    daemon.wait_log("call.ended", outcome="answered")
    alice_page.wait_for_selector(f"[data-testid=call-row]:has-text('{caller}')")


def make_cards(staff, *cards) -> list[int]:
    ids = []
    for card in cards:
        status, body = staff.api("POST", "/clients", card)
        assert status == 201, body
        ids.append(body["id"])
    return ids


def search(page, **fields) -> list[str]:
    page.fill("[data-testid=search-q]", fields.pop("q", ""))
    if fields and not page.is_visible("[data-testid=search-name]"):
        page.click("text=Extended search")
    for name in ("name", "company", "address", "phone"):
        if page.is_visible(f"[data-testid=search-{name}]"):
            page.fill(f"[data-testid=search-{name}]", fields.get(name, ""))
    with page.expect_response(lambda r: "/api/v1/clients?" in r.url) as answer:
        page.click("button:has-text('Search')")
    names = [c["name"] for c in answer.value.json()["clients"]]
    page.wait_for_function("""names => JSON.stringify(names) === JSON.stringify(
        [...document.querySelectorAll('[data-testid=results] li button')].map(b => b.innerText))""",
                           arg=names)  # the page shows what the daemon found
    return names


def test_given_cards_then_search_finds_by_each_field_and_by_fields_combined(staff, alice_page):
    make_cards(staff,
               {"name": "Anna Kovacs", "company": "Initech", "address": "12 Elm St, Springfield",
                "phones": ["+15550301111"]},
               {"name": "Boris Kovacs", "company": "Umbrella", "address": "9 Oak Ave, Springfield",
                "phones": ["+15550302222"]},
               {"name": "Chen Wu", "company": "Initech", "address": "3 Pine Rd, Shelbyville",
                "phones": ["+15550303333"]})
    assert search(alice_page, q="(555) 030-2222") == ["Boris Kovacs"]  # as people write it
    assert search(alice_page, q="kovacs") == ["Anna Kovacs", "Boris Kovacs"]
    assert search(alice_page, name="Wu") == ["Chen Wu"]
    assert search(alice_page, company="initech") == ["Anna Kovacs", "Chen Wu"]
    assert search(alice_page, address="Springfield") == ["Anna Kovacs", "Boris Kovacs"]
    assert search(alice_page, phone="0303333") == ["Chen Wu"]
    assert search(alice_page, company="Initech", address="Springfield") == ["Anna Kovacs"]
    assert search(alice_page, name="Kovacs", company="Umbrella", phone="555 030 2222") == \
        ["Boris Kovacs"]
    assert search(alice_page, name="Kovacs", company="Globex") == []


def test_given_a_card_when_edited_in_place_then_it_is_saved(staff, alice_page):
    card_id, = make_cards(staff, {"name": "Dmitri Orlov", "company": "Vostok",
                                  "phones": ["+15550304444"]})
    search(alice_page, q="Orlov")
    alice_page.click("[data-testid=results] >> text=Dmitri Orlov")
    alice_page.click("[data-testid=edit]")
    alice_page.fill("[data-testid=edit-company]", "Vostok Trading")
    alice_page.fill("[data-testid=edit-comment]", "call after 3 pm")
    alice_page.fill("[data-testid=edit-phones]", "+15550304444, (555) 030-5555")
    alice_page.click("[data-testid=save]")
    alice_page.wait_for_selector("[data-testid=card-company]:has-text('Vostok Trading')")
    assert alice_page.inner_text("[data-testid=card-comment]") == "call after 3 pm"
    status, card = staff.api("GET", f"/clients/{card_id}")
    assert (card["company"], card["comment"], card["phones"]) == \
        ("Vostok Trading", "call after 3 pm", ["+15550304444", "+15550305555"])
    alice_page.click("[data-testid=edit]")  # a bad phone is refused and nothing changes
    alice_page.fill("[data-testid=edit-phones]", "call me maybe")
    alice_page.click("[data-testid=save]")
    assert "phones" in alice_page.wait_for_selector("[role=alert]").inner_text()
    assert staff.api("GET", f"/clients/{card_id}")[1]["phones"] == card["phones"]


def test_given_two_cards_of_one_client_when_merged_then_the_operator_chooses_the_conflict(
        staff, alice_page):
    keep, drop = make_cards(
        staff, {"name": "Ivan Petrov", "company": "Acme", "phones": ["+15550306666"]},
        {"name": "Ivan Petrov", "company": "Acme Holdings", "address": "1 Main St",
         "phones": ["+15550307777"], "emails": ["ivan@acme.example"]})
    status, _ = staff.api("POST", f"/clients/{drop}/entities", {"kind": "deal", "title": "Q3"})
    assert status == 201
    search(alice_page, q="Petrov")
    alice_page.click(f"[data-testid=results] li:nth-child(1) button")
    alice_page.select_option("[data-testid=merge-with]", str(drop))
    conflicts = alice_page.wait_for_selector("[data-testid=merge]")
    assert alice_page.locator("[data-testid=merge] fieldset legend").all_inner_texts() == \
        ["company"]  # the same name is no conflict; an address only one has neither
    alice_page.click("[data-testid=merge-go]")  # without a choice: refused, nothing changed
    assert "company: the cards differ" in alice_page.wait_for_selector("[role=alert]").inner_text()
    assert staff.api("GET", f"/clients/{drop}")[0] == 200
    shot(alice_page, "merge")
    conflicts.query_selector("label:has-text('Acme Holdings') input").check()
    alice_page.click("[data-testid=merge-go]")
    alice_page.wait_for_selector("[data-testid=card-company]:has-text('Acme Holdings')")
    status, card = staff.api("GET", f"/clients/{keep}")
    assert (card["company"], card["address"], card["phones"], card["emails"]) == \
        ("Acme Holdings", "1 Main St", ["+15550306666", "+15550307777"], ["ivan@acme.example"])
    assert [e["title"] for e in card["entities"]] == ["Q3"]
    assert staff.api("GET", f"/clients/{drop}")[0] == 404


def test_given_an_operator_then_another_employees_call_cannot_be_seen_or_placed(
        daemon, staff, alice_page, registered, carrier):
    call = carrier.call(BOB_NUMBER, caller_id="+15550308888")
    at_bob = registered["bob"].wait_incoming()
    answered = daemon.wait_log("call.leg_ringing")
    answer_and_end(call, at_bob)
    daemon.wait_log("call.ended", call=answered["call"])
    quoted = urllib.parse.quote(answered["call"])
    seen = alice_page.evaluate(f"fetch('/api/v1/calls/{quoted}').then(r => r.status)")
    assert seen == 403
    placed = alice_page.evaluate("""async () => {
        const s = await (await fetch('/api/v1/session')).json();
        const r = await fetch('/api/v1/calls', {method: 'POST', headers: {
            'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token},
            body: JSON.stringify({from: 'Bob Jones', to: '101'})});
        return [r.status, (await r.json()).error.message]; }""")
    assert placed == [403, "an operator can only call from their own phone (from: your name)"]
    registered["bob"].expect_no_incoming(within=0.3)


def test_given_calls_then_the_manager_sees_the_report_with_a_chart(staff, chromium):
    bob = sign_in(chromium.page(staff.base), "bob@example.com", PASSWORD)
    bob.click("nav >> text=Reports")
    row = bob.wait_for_selector("[data-testid=report] tr:has-text('Alice Smith')")
    cells = row.query_selector_all("td")
    assert int(cells[2].inner_text()) >= 4  # answered in this module's calls
    assert int(cells[3].inner_text()) >= 1  # the rejected one
    painted = bob.evaluate("""() => { const c = document.querySelector('[data-testid=chart]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }""")
    assert painted > 1000  # bars, axes and labels were drawn
    shot(bob, "reports")
