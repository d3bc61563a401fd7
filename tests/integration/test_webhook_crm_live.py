"""Webhook numbers, the responsible manager from the built-in client cards, call-back
tasks, CRM call events, and the two seed recipes, on the real Asterisk with real phones.
The customer's webhook handler and the CRM's event receiver are local HTTP servers of the
test's own (tests/support/handler.py) that check callctl's signature."""
import time

import pytest
import yaml

from tests.support.handler import ThreadedHandler

from .conftest import ALICE_NUMBER, BOB_NUMBER, MOBILE, cli, free_port
from .test_first_call import call_log

pytestmark = pytest.mark.integration

SECRET = "test-secret-" + "k" * 20
HOOK_PORT, EVENTS_PORT = free_port(), free_port()
DAEMON_CONFIG = {
    "webhooks": {"regional": {"url": f"http://127.0.0.1:{HOOK_PORT}/route", "secret": SECRET,
                              "timeout_s": 1}},
    "crm": {"events": [{"url": f"http://127.0.0.1:{EVENTS_PORT}/events", "secret": SECRET}],
            "call_back_minutes": 30},
}
REGIONAL = "+15550155"  # the regional office, reached through the carrier
WEB_NUMBER, CRM_NUMBER = BOB_NUMBER, "+15550102"


@pytest.fixture(scope="module")
def hook():
    with ThreadedHandler(SECRET, port=HOOK_PORT) as handler:
        yield handler


@pytest.fixture(scope="module")
def receiver():
    with ThreadedHandler(SECRET, answer=lambda path, body: (204, "", 0),
                         port=EVENTS_PORT) as handler:
        yield handler


def scheme(daemon, folder, doc: dict, number: str) -> None:
    path = folder / f"{doc['name']}.yaml"
    path.write_text(yaml.safe_dump(doc))
    cli(daemon.path, "schemes", "add", str(path), "--replace")
    cli(daemon.path, "schemes", "assign", number, doc["name"])


@pytest.fixture(scope="module")
def company(daemon, tmp_path_factory, receiver):
    """The seed recipes: "regional offices by webhook, then backup, then voicemail" on
    WEB_NUMBER, "CRM: responsible manager first, then all managers, then mobiles, then
    voicemail" on CRM_NUMBER."""
    folder = tmp_path_factory.mktemp("crm")
    cli(daemon.path, "departments", "add", "--name", "Managers", "--extension", "600")
    for name in ("Alice Smith", "Bob Jones"):
        cli(daemon.path, "employees", "edit", name, "--department", "Managers")
    cli(daemon.path, "numbers", "add", "--number", CRM_NUMBER, "--employee", "Alice Smith")
    box = folder / "box.yaml"
    box.write_text(yaml.safe_dump({"name": "General", "max_seconds": 10,
                                   "silence_seconds": 0}))
    cli(daemon.path, "voicemail", "add", str(box))
    scheme(daemon, folder, {"name": "Regional", "kind": "sequential", "branches": [
        {"name": "always", "blocks": [
            {"timeout": 5, "directions": [{"webhook": "regional"}]},
            {"timeout": 4, "directions": [{"employee": "Bob Jones"}]},
            {"timeout": 60, "directions": [{"voicemail": "General"}]}]}]}, WEB_NUMBER)
    scheme(daemon, folder, {"name": "Smart forwarding", "kind": "sequential", "branches": [
        {"name": "always", "blocks": [
            {"timeout": 4, "directions": [{"crm_manager": "lead, contact, deal"}]},
            {"timeout": 4, "directions": [{"department": "Managers"}]},
            {"timeout": 4, "directions": [{"phone_number": MOBILE}]},  # the mobiles
            {"timeout": 60, "directions": [{"voicemail": "General"}]}]}]}, CRM_NUMBER)
    daemon.wait_directory_loaded()
    return folder


def card(daemon, phone: str, kind: str, responsible: str) -> int:
    made = cli(daemon.path, "clients", "add", "--name", f"Client {phone}", "--phone", phone)
    cli(daemon.path, "clients", "entity", str(made["id"]), "--kind", kind,
        "--responsible", responsible)
    return made["id"]


# --- webhook numbers ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["employee", "sip_account", "phone_number"])
def test_given_a_webhook_answer_when_a_customer_calls_then_that_target_rings(
        daemon, registered, carrier, ari, company, hook, kind):
    target = {"employee": "Alice Smith", "sip_account": daemon.accounts["alice"][0],
              "phone_number": REGIONAL}[kind]
    hook.answer = lambda path, body: (200, {kind: target}, 0)
    caller = "+1555720000" + str(len(kind))
    call = carrier.call(WEB_NUMBER, caller_id=caller)
    if kind == "phone_number":
        ringing = carrier.wait_incoming(timeout=5)
        assert ringing.local_user == REGIONAL
    else:
        ringing = registered["alice"].wait_incoming(timeout=5)
    assert ringing.remote_user == caller
    path, body, signed = hook.received[-1]
    assert signed and (body["caller"], body["number"], body["webhook"]) == \
        (caller, WEB_NUMBER, "regional")
    ringing.answer()
    call.wait_state("CONFIRMED")
    call.hangup()
    ringing.wait_disconnected()
    ended = daemon.wait_log("call.ended", outcome="answered")
    assert f"webhook 'regional' -> {kind} " in call_log(daemon).get(ended["call"]).route
    ari.assert_clean()


@pytest.mark.parametrize("answer, reason", [
    ((200, {"employee": "Alice Smith"}, 3), "no answer within 1.0 s"),
    ((500, "oops", 0), "answered HTTP 500"),
    ((200, "<html>garbage", 0), "answer is not JSON"),
    ((200, {"employee": "Nobody Known"}, 0), "unknown target"),
])
def test_given_a_failing_webhook_when_a_customer_calls_then_the_backup_rings_in_time(
        daemon, registered, carrier, ari, company, hook, answer, reason):
    hook.answer = lambda path, body: answer
    started = time.monotonic()
    call = carrier.call(WEB_NUMBER, caller_id="+15557300001")
    at_bob = registered["bob"].wait_incoming(timeout=5)  # block 2: the backup
    assert time.monotonic() - started < 1.8  # the webhook's 1 s at most, then at once
    registered["alice"].expect_no_incoming(within=0.1)
    skipped = daemon.wait_log("call.remote_skipped")
    assert reason in skipped["reason"]
    at_bob.answer()
    call.wait_state("CONFIRMED")
    call.hangup()
    at_bob.wait_disconnected()
    ended = daemon.wait_log("call.ended", call=skipped["call"], outcome="answered")
    assert reason in call_log(daemon).get(ended["call"]).route
    ari.assert_clean()


def test_seed_regional_offices_by_webhook_then_backup_then_voicemail(
        daemon, registered, carrier, ari, company, hook):
    hook.answer = lambda path, body: (200, {"phone_number": REGIONAL}, 0)
    call = carrier.call(WEB_NUMBER, caller_id="+15557400001")
    office = carrier.wait_incoming(timeout=5)  # the regional office: nobody answers
    assert office.local_user == REGIONAL
    office.ring()
    office.wait_disconnected(timeout=7)  # the block's 5 s cover the webhook and the ringing
    at_bob = registered["bob"].wait_incoming(timeout=3)  # backup, 4 s
    at_bob.wait_disconnected(timeout=6)
    recording = daemon.wait_log("call.voicemail_recording", timeout=20)
    call.play_tone(1000)
    time.sleep(1.5)  # a message of about a second and a half
    call.hangup()
    daemon.wait_log("call.ended", call=recording["call"], outcome="voicemail", timeout=15)
    daemon.wait_log("voicemail.stored", call=recording["call"], box="General", timeout=10)
    assert ari.get("/recordings/stored") == []  # the message is kept, Asterisk's copy gone
    record = call_log(daemon).get(recording["call"])
    assert [(leg.target, leg.result) for leg in record.legs] == [
        (f"PJSIP/{REGIONAL}@carrier", "no_answer"),
        (f"PJSIP/{daemon.accounts['bob'][0]}", "no_answer")]
    assert record.route.startswith(f"webhook 'regional' -> phone_number '{REGIONAL}'")
    ari.assert_clean()


# --- the responsible manager from the built-in cards ---------------------------------------------

@pytest.mark.parametrize("kind, who", [("lead", "alice"), ("contact", "bob"), ("deal", "alice")])
def test_given_a_card_when_its_client_calls_then_the_responsible_employee_rings_first(
        daemon, registered, carrier, ari, company, kind, who):
    phone = {"lead": "+15557500001", "contact": "+15557500002", "deal": "+15557500003"}[kind]
    card(daemon, phone, kind, {"alice": "Alice Smith", "bob": "Bob Jones"}[who])
    call = carrier.call(CRM_NUMBER, caller_id=phone)
    ringing = registered[who].wait_incoming(timeout=3)
    other = "bob" if who == "alice" else "alice"
    registered[other].expect_no_incoming(within=0.3)  # only the responsible one, first
    ringing.answer()
    call.wait_state("CONFIRMED")
    call.hangup()
    ringing.wait_disconnected()
    ended = daemon.wait_log("call.ended", outcome="answered")
    assert f"responsible manager (lead, contact, deal) -> employee" in \
        call_log(daemon).get(ended["call"]).route
    ari.assert_clean()


def test_given_an_unknown_caller_when_calling_the_crm_number_then_all_managers_at_once(
        daemon, registered, carrier, ari, company):
    started = time.monotonic()
    call = carrier.call(CRM_NUMBER, caller_id="+15557600001")
    at_alice = registered["alice"].wait_incoming(timeout=3)
    at_bob = registered["bob"].wait_incoming(timeout=3)
    assert time.monotonic() - started < 1.5  # nobody found: no waiting out the 4 s
    at_bob.answer()
    call.wait_state("CONFIRMED")
    at_alice.wait_disconnected()
    call.hangup()
    at_bob.wait_disconnected()
    ended = daemon.wait_log("call.ended", outcome="answered")
    assert "no open lead/contact/deal" in call_log(daemon).get(ended["call"]).route
    found = cli(daemon.path, "clients", "find", "+15557600001")  # a new caller: a new card
    assert [c["phones"] for c in found] == [["+15557600001"]]
    ari.assert_clean()


def test_seed_crm_responsible_first_then_all_managers_then_mobiles_then_voicemail(
        daemon, registered, carrier, ari, company):
    card(daemon, "+15557700001", "lead", "Bob Jones")
    call = carrier.call(CRM_NUMBER, caller_id="+15557700001")
    first = registered["bob"].wait_incoming(timeout=3)  # the responsible manager, 4 s
    registered["alice"].expect_no_incoming(within=0.3)
    first.wait_disconnected(timeout=6)
    for key in ("alice", "bob"):  # all managers, 4 s
        registered[key].wait_incoming(timeout=3).wait_disconnected(timeout=6)
    mobile = carrier.wait_incoming(timeout=3)  # the mobiles, 4 s
    assert mobile.local_user == MOBILE
    mobile.wait_disconnected(timeout=6)
    recording = daemon.wait_log("call.voicemail_recording", timeout=20)  # after the greeting
    call.play_tone(1000)
    time.sleep(1.5)
    call.hangup()
    daemon.wait_log("call.ended", call=recording["call"], outcome="voicemail", timeout=15)
    daemon.wait_log("voicemail.stored", call=recording["call"], box="General", timeout=10)
    assert ari.get("/recordings/stored") == []  # the message is kept, Asterisk's copy gone
    legs = call_log(daemon).get(recording["call"]).legs
    bob, alice = (f"PJSIP/{daemon.accounts[k][0]}" for k in ("bob", "alice"))
    assert sorted((leg.target, leg.result) for leg in legs) == sorted([
        (bob, "no_answer"), (alice, "no_answer"), (bob, "no_answer"),
        (f"PJSIP/{MOBILE}@carrier", "no_answer")])
    ari.assert_clean()


# --- call-back tasks and CRM call events -----------------------------------------------------

def test_given_a_missed_call_when_it_ends_then_a_call_back_task_for_the_number_s_employee(
        daemon, registered, carrier, ari, company):
    call = carrier.call(ALICE_NUMBER, caller_id="+15557800001")
    registered["alice"].wait_incoming(timeout=3).wait_disconnected(timeout=8)
    call.wait_disconnected(timeout=15)
    task = daemon.wait_log("crm.call_back", employee="Alice Smith", timeout=5)
    tasks = cli(daemon.path, "tasks", "list", "--employee", "Alice Smith")
    mine = next(t for t in tasks if t["id"] == int(task["task"]))
    assert mine["title"] == "call back +15557800001" and mine["call_id"] == task["call"]
    ended = call_log(daemon).get(task["call"])
    due = (mine["due_at"], ended.started_at)
    from datetime import datetime, timezone
    gap = datetime.fromisoformat(due[0]) - due[1].replace(tzinfo=timezone.utc)
    assert 29 * 60 < gap.total_seconds() < 31 * 60
    ari.assert_clean()


def test_given_a_mapped_employee_when_a_call_is_answered_then_events_in_order_with_crm_id(
        daemon, registered, carrier, ari, company, receiver):
    cli(daemon.path, "crm", "map", "crm-user-17", "Alice Smith")
    daemon.wait_directory_loaded()
    call = carrier.call(ALICE_NUMBER, caller_id="+15557900001")
    ringing = registered["alice"].wait_incoming(timeout=3)
    ringing.answer()
    call.wait_state("CONFIRMED")
    call.hangup()
    ringing.wait_disconnected()
    ended = daemon.wait_log("call.ended", outcome="answered")
    deadline = time.monotonic() + 5
    while True:
        mine = [(body, signed) for _, body, signed in receiver.received
                if body["call_id"] == ended["call"]]
        if len(mine) == 3 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert all(signed for _, signed in mine)
    assert [body["event"] for body, _ in mine] == ["call.started", "call.answered",
                                                   "call.ended"]
    answered, last = mine[1][0], mine[2][0]
    assert (answered["employee"], answered["crm_user_id"]) == ("Alice Smith", "crm-user-17")
    assert (last["outcome"], last["caller"], last["number"]) == \
        ("answered", "+15557900001", ALICE_NUMBER)
    ari.assert_clean()
