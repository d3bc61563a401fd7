"""Transfers from the workspace page in real Chromium, on the real daemon, the sandbox
Asterisk and pjsua2 phones: "Transfer now" (to a colleague typed in, to a department by its
row's button), "Talk to … first" with "Complete transfer" and "Cancel (back to caller)", a
refusal shown in the page, the same from the page's softphone, and another employee's live
call that the page cannot control (403). What each phone hears is checked by tones; after
each test no channel or bridge is left (the `registered` fixture)."""
from __future__ import annotations

import json
import urllib.parse

import pytest

from tests.integration.conftest import BOB_NUMBER, CUSTOMER, cli
from tests.integration.transfer_kit import (customer_to_alice, hang_up, hears_music, talk,
                                            transfers_of)
from tests.support.browser import BROWSER_TONE_HZ
from tests.support.workspace import (alice_page, carol, chromium, shot,  # noqa: F401
                                     staff)

pytestmark = pytest.mark.integration
DAEMON_CONFIG = {"transfers": {"ring_timeout": 6}}
CAROL_NUMBER = "+15550103"


def state(page, text: str) -> None:
    page.wait_for_selector(f"[data-testid=transfer-state]:has-text('{text}')")


def released(page) -> None:
    """The page shows no call of hers any more: no transfer controls, no 'On a call'."""
    page.wait_for_selector("[data-testid=transfer]", state="detached")
    page.wait_for_selector("[data-testid=active-call]", state="detached")


def record(page, call_id: str) -> dict:
    """The call's record as the signed-in operator's page gets it."""
    quoted = urllib.parse.quote(call_id)
    status, body = page.evaluate(f"""async () => {{
        const r = await fetch('/api/v1/calls/{quoted}');
        return [r.status, await r.json()]; }}""")
    assert status == 200, body
    return body


def test_given_alice_on_a_customer_call_when_she_clicks_transfer_now_then_bob_has_it(
        daemon, alice_page, registered, carrier):
    call, alice, call_id = customer_to_alice(carrier, registered, daemon)
    alice_page.fill("[data-testid=transfer-to]", "Bob Jones")
    shot(alice_page, "transfer")
    alice_page.click("[data-testid=transfer-blind]")
    bob = registered["bob"].wait_incoming(timeout=5)
    alice.wait_disconnected()  # her leg is released at once
    released(alice_page)
    bob.answer()
    daemon.wait_log("call.transfer_ended", call=call_id, result="completed")
    talk(call, bob)
    hang_up(daemon, call_id, bob, call)
    alice_page.wait_for_selector(
        f"[data-testid=call-row]:has-text('{CUSTOMER}'):has-text('Bob Jones')")
    (t,) = record(alice_page, call_id)["transfers"]
    assert (t["mode"], t["via"], t["transferer"], t["result"], t["recipient"]) == (
        "blind", "api", "Alice Smith", "completed", "Bob Jones")


def test_given_alice_on_a_call_when_she_clicks_transfer_now_on_sales_then_its_member_has_it(
        daemon, alice_page, registered, carrier):
    call, alice, call_id = customer_to_alice(carrier, registered, daemon)
    alice_page.click("[data-testid=department-Sales] [data-testid=row-transfer-blind]")
    bob = registered["bob"].wait_incoming(timeout=5)  # Sales: Bob; Carol has no phone on line
    alice.wait_disconnected()
    released(alice_page)
    registered["alice"].expect_no_incoming(within=0.3)  # she is on the call: never rung
    bob.answer()
    daemon.wait_log("call.transfer_ended", call=call_id, result="completed")
    talk(call, bob)
    hang_up(daemon, call_id, call, bob)
    (t,) = record(alice_page, call_id)["transfers"]
    assert (t["mode"], t["to"], t["recipient"]) == (
        "blind", "Sales", "Bob Jones")


def test_given_alice_talks_to_bob_first_when_she_completes_then_the_customer_has_bob(
        daemon, alice_page, registered, carrier):
    call, alice, call_id = customer_to_alice(carrier, registered, daemon)
    alice_page.fill("[data-testid=transfer-to]", "102")
    alice_page.click("[data-testid=transfer-attended]:has-text('Talk to 102 first')")
    bob = registered["bob"].wait_incoming(timeout=5)
    state(alice_page, "Ringing Bob Jones (102)")
    assert hears_music(call)  # the customer waits with music
    bob.answer()
    state(alice_page, "Talking to Bob Jones · the caller is on hold")
    # Bob is on a call for his colleagues as soon as he answers (no call event says so)
    alice_page.wait_for_selector("[data-testid='colleague-Bob Jones'] "
                                 "[data-testid=colleague-state]:has-text('on a call')",
                                 timeout=5000)
    shot(alice_page, "transfer-consult")
    talk(alice, bob)
    assert hears_music(call)
    alice_page.click("[data-testid=transfer-complete]")
    alice.wait_disconnected()
    released(alice_page)
    talk(call, bob)
    hang_up(daemon, call_id, call, bob)
    (t,) = record(alice_page, call_id)["transfers"]
    assert (t["mode"], t["result"], t["recipient"]) == ("attended", "completed", "Bob Jones")


def test_given_a_refusal_then_shown_and_when_alice_cancels_talk_first_then_back_to_the_caller(
        daemon, alice_page, registered, carrier):
    call, alice, call_id = customer_to_alice(carrier, registered, daemon)
    alice_page.fill("[data-testid=transfer-to]", "Dana Admin")  # off line
    alice_page.click("[data-testid=transfer-blind]")
    error = alice_page.wait_for_selector("[data-testid=transfer-error]")
    assert "Dana Admin" in error.inner_text() and "offline" in error.inner_text()
    talk(call, alice)  # the call goes on
    alice_page.click("[data-testid='colleague-Bob Jones'] [data-testid=row-transfer-attended]")
    bob = registered["bob"].wait_incoming(timeout=5)
    alice_page.wait_for_selector("[data-testid=transfer-error]", state="detached")
    bob.answer()
    state(alice_page, "Talking to Bob Jones")
    talk(alice, bob)
    alice_page.click("[data-testid=transfer-cancel]")
    bob.wait_disconnected()
    alice_page.wait_for_selector("[data-testid=transfer-to]")  # her call again, no transfer
    talk(call, alice)
    hang_up(daemon, call_id, call, alice)
    assert [(t.mode, t.result) for t in transfers_of(daemon, call_id)] == [
        ("blind", "refused"), ("attended", "cancelled")]  # the refusal is logged too


@pytest.fixture
def carol_number(daemon, staff):
    """A company number that rings Carol (her page's softphone)."""
    cli(daemon.path, "numbers", "add", "--number", CAROL_NUMBER, "--employee", "Carol White")
    daemon.wait_directory_loaded()
    yield CAROL_NUMBER
    cli(daemon.path, "numbers", "delete", CAROL_NUMBER)


def test_given_carol_on_the_page_softphone_when_she_talks_to_alice_first_then_hands_over(
        daemon, carol_number, carol, registered, carrier):
    call = carrier.call(carol_number, caller_id=CUSTOMER)
    carol.click(".phone button.answer")
    call.wait_state("CONFIRMED")
    call_id = daemon.wait_log("call.answered", employee="Carol White")["call"]
    assert call.hears_tone(BROWSER_TONE_HZ)  # Carol's microphone
    phone = carol.locator(".phone")
    phone.locator("[data-testid=transfer-to]").fill("Alice Smith")
    phone.locator("[data-testid=transfer-attended]").click()
    alice = registered["alice"].wait_incoming(timeout=5)
    assert alice.remote_user == "103"  # the recipient sees who transfers: Carol
    alice.answer()
    phone.locator("[data-testid=transfer-state]",
                  has_text="Talking to Alice Smith · the caller is on hold").wait_for()
    shot(carol, "softphone-transfer")
    assert alice.hears_tone(BROWSER_TONE_HZ)  # Carol briefs Alice
    assert hears_music(call)
    phone.locator("[data-testid=transfer-complete]").click()
    carol.wait_for_selector("[data-testid=phone-call]", state="detached")
    talk(call, alice)
    hang_up(daemon, call_id, alice, call)
    (t,) = transfers_of(daemon, call_id)
    assert (t.mode, t.via, t.transferer, t.result, t.recipient) == (
        "attended", "api", "Carol White", "completed", "Alice Smith")


def test_given_bobs_live_call_when_alices_page_tries_to_control_it_then_403_and_it_goes_on(
        daemon, alice_page, registered, carrier):
    call = carrier.call(BOB_NUMBER, caller_id=CUSTOMER)
    bob = registered["bob"].wait_incoming(timeout=5)
    bob.answer()
    call.wait_state("CONFIRMED")
    call_id = daemon.wait_log("call.answered", employee="Bob Jones")["call"]
    quoted = urllib.parse.quote(call_id)
    tried = alice_page.evaluate("""async ([base, body]) => {
        const s = await (await fetch('/api/v1/session')).json();
        const out = [];
        for (const path of ['', '/complete', '/cancel']) {
            const r = await fetch(base + path, {method: 'POST', body, headers: {
                'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token}});
            out.push([r.status, (await r.json()).error.message]);
        }
        return out; }""", [f"/api/v1/calls/{quoted}/transfer",
                           json.dumps({"to": "101", "mode": "blind"})])
    refusal = (f"Alice Smith (operator) cannot control call {call_id}: it is someone "
               "else's.")
    assert [(status, message.startswith(refusal)) for status, message in tried] == [
        (403, True)] * 3, tried
    registered["alice"].expect_no_incoming(within=0.3)
    talk(call, bob)  # untouched
    hang_up(daemon, call_id, bob, call)
    assert transfers_of(daemon, call_id) == []
