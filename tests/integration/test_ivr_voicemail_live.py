"""IVR menus and voicemail on real calls: the caller hears the prompts (each a test tone of
its own frequency), presses keys (RFC 2833), reaches people, leaves a message that is
stored with what was said. Timeouts are shortened to a few seconds."""
import signal

import pytest
import yaml

from tests.support.audio import dominant_frequency, samples_of, tones_in_order, wav

from .conftest import BOB_NUMBER, CUSTOMER, cli
from .test_first_call import call_log

pytestmark = pytest.mark.integration

NUMBER = BOB_NUMBER  # the company number the menus serve here
GREETING, SUPPORT, INVALID, NO_INPUT = 600, 800, 1400, 1800  # Hz: one tone per prompt
TONES = (GREETING, SUPPORT, INVALID, NO_INPUT)


@pytest.fixture(scope="module")
def company(daemon, tmp_path_factory):
    """Prompts, a Sales department with Alice, menus Main -> Support, a voicemail box."""
    folder = tmp_path_factory.mktemp("ivr")
    for name, freq, seconds in (("main-greeting", GREETING, 2), ("support-greeting", SUPPORT, 2),
                                ("invalid", INVALID, 1), ("no-input", NO_INPUT, 1)):
        path = folder / f"{name}.wav"
        path.write_bytes(wav(freq, seconds))
        cli(daemon.path, "prompts", "add", name, str(path))
    cli(daemon.path, "departments", "add", "--name", "Sales", "--extension", "600")
    cli(daemon.path, "employees", "edit", "Alice Smith", "--department", "Sales")
    save(daemon, folder, "voicemail", {"name": "General", "max_seconds": 10,
                                       "silence_seconds": 0})
    save(daemon, folder, "menus", {
        "name": "Support", "greeting": "support-greeting", "digit_timeout": 2, "retries": 0,
        "options": {1: {"employee": "Alice Smith"}}})
    save(daemon, folder, "menus", {
        "name": "Main", "greeting": "main-greeting", "digit_timeout": 2, "retries": 1,
        "invalid_prompt": "invalid", "no_input_prompt": "no-input", "ring_timeout": 5,
        "options": {1: {"department": "Sales"}, 2: {"employee": "Bob Jones"},
                    3: {"ivr": "Support"}, 9: "repeat", 0: "hangup"},
        "final": {"voicemail": "General"}})
    scheme = {"name": "IVR to departments", "kind": "sequential", "branches": [
        {"name": "always", "blocks": [{"timeout": 60, "directions": [{"ivr": "Main"}]},
                                      {"timeout": 60, "directions": [{"voicemail": "General"}]}]}]}
    path = folder / "scheme.yaml"
    path.write_text(yaml.safe_dump(scheme))
    cli(daemon.path, "schemes", "add", str(path), "--replace")
    cli(daemon.path, "schemes", "assign", NUMBER, scheme["name"])
    daemon.wait_directory_loaded()
    yield folder
    cli(daemon.path, "schemes", "unassign", NUMBER)
    daemon.wait_directory_loaded()


def save(daemon, folder, command: str, doc: dict) -> None:
    path = folder / f"{command}-{doc['name']}.yaml"
    path.write_text(yaml.safe_dump(doc))
    cli(daemon.path, command, "add", str(path), "--replace")


def heard(call, seconds: float) -> list[int]:
    """The prompts heard over `seconds`, in order (each 0.2 s window's tone among ours)."""
    return tones_in_order(call.record(seconds), TONES)


def in_menu(carrier, daemon, caller_id: str):
    call = carrier.call(NUMBER, caller_id=caller_id)
    call.wait_state("CONFIRMED")  # a menu answers the call
    started = daemon.wait_log("call.menu", menu="Main")
    return call, started["call"]


def key_2_reaches_bob(call, call_id, registered, daemon) -> None:
    """The caller presses 2, Bob answers and hears the caller; the caller hangs up."""
    call.send_dtmf("2")
    at_bob = registered["bob"].wait_incoming(timeout=3)
    at_bob.answer()
    call.play_tone(1000)
    assert at_bob.hears_tone(1000)
    call.hangup()
    at_bob.wait_disconnected()
    daemon.wait_log("call.ended", call=call_id, outcome="answered")


def test_given_a_key_during_the_greeting_when_pressed_then_that_employee_rings(
        daemon, registered, carrier, company, ari):
    call, call_id = in_menu(carrier, daemon, "+15557100001")
    assert call.hears_tone(GREETING, seconds=0.6)
    call.send_dtmf("2")  # barge-in: the greeting stops, Bob rings at once
    at_bob = registered["bob"].wait_incoming(timeout=3)
    assert at_bob.remote_user == "+15557100001"
    registered["alice"].expect_no_incoming(within=0.3)
    at_bob.answer()
    call.play_tone(1000)
    assert at_bob.hears_tone(1000)
    at_bob.hangup()
    call.wait_disconnected()
    daemon.wait_log("call.ended", call=call_id, outcome="answered")
    record = call_log(daemon).get(call_id)
    assert (record.answered_by, record.route) == \
        ("Bob Jones", "menu 'Main': 2 -> employee 'Bob Jones'")
    ari.assert_clean()


def test_given_an_invalid_key_then_a_valid_one_when_pressed_then_retry_prompt_then_department(
        daemon, registered, carrier, company, ari):
    call, call_id = in_menu(carrier, daemon, "+15557100002")
    call.send_dtmf("7")  # not an option: "invalid choice", then the greeting again
    order = heard(call, 2.5)
    assert order[order.index(INVALID):][:2] == [INVALID, GREETING], order
    daemon.wait_log("call.menu_miss", call=call_id, digit="7")
    call.send_dtmf("1")
    at_alice = registered["alice"].wait_incoming(timeout=3)  # Sales: Alice is its member
    at_alice.answer()
    call.wait_state("CONFIRMED")
    call.hangup()
    at_alice.wait_disconnected()
    daemon.wait_log("call.ended", call=call_id, outcome="answered")
    assert call_log(daemon).get(call_id).answered_by == "Alice Smith"
    ari.assert_clean()


def test_given_no_key_when_the_retries_run_out_then_the_final_direction_takes_the_call(
        daemon, registered, carrier, company, ari):
    call, call_id = in_menu(carrier, daemon, "+15557100003")
    # The greeting, then after 2 s without a key "we did not get your choice", greeting
    assert heard(call, 6.0) == [GREETING, NO_INPUT, GREETING]
    daemon.wait_log("call.menu_miss", call=call_id, miss="1")
    daemon.wait_log("call.menu_miss", call=call_id, miss="2", timeout=8)
    daemon.wait_log("call.menu_choice", call=call_id, key="final",
                    choice="voicemail 'General'", timeout=4)
    daemon.wait_log("call.voicemail_recording", call=call_id, timeout=20)
    call.hangup()  # without a message
    daemon.wait_log("call.ended", call=call_id, outcome="missed")
    registered["alice"].expect_no_incoming(within=0.1)
    ari.assert_clean()


def test_given_nested_menus_when_keys_are_pressed_then_the_second_level_routes(
        daemon, registered, carrier, company, ari):
    call, call_id = in_menu(carrier, daemon, "+15557100004")
    call.send_dtmf("3")
    daemon.wait_log("call.menu", call=call_id, menu="Support")
    assert call.hears_tone(SUPPORT, seconds=0.6)
    call.send_dtmf("1")
    at_alice = registered["alice"].wait_incoming(timeout=3)
    at_alice.answer()
    call.wait_state("CONFIRMED")
    at_alice.hangup()
    call.wait_disconnected()
    daemon.wait_log("call.ended", call=call_id, outcome="answered")
    assert call_log(daemon).get(call_id).route == \
        "menu 'Main': 3 -> ivr 'Support'; menu 'Support': 1 -> employee 'Alice Smith'"
    ari.assert_clean()


def test_given_the_hangup_key_when_pressed_then_the_call_ends_as_chosen(
        daemon, registered, carrier, company, ari):
    call, call_id = in_menu(carrier, daemon, "+15557100005")
    call.send_dtmf("0")
    call.wait_disconnected(timeout=3)
    assert call.disconnected_by_remote
    daemon.wait_log("call.ended", call=call_id, outcome="ivr")
    ari.assert_clean()


def test_given_a_number_served_by_the_menu_itself_from_the_project_document_then_keys_route(
        daemon, registered, carrier, company, ari):
    """`assignments: {number: {ivr: Main}}` in a project document: no scheme, the menu
    answers the number itself."""
    doc = company / "served-by-menu.yaml"
    doc.write_text(yaml.safe_dump({"assignments": {NUMBER: {"ivr": "Main"}}}))
    assert cli(daemon.path, "project", "import", str(doc))["changes"] == [
        f"~ assignments {NUMBER}: 'IVR to departments' -> {{'ivr': 'Main'}}"]
    daemon.wait_directory_loaded()
    try:
        call, call_id = in_menu(carrier, daemon, "+15557100010")
        assert call.hears_tone(GREETING, seconds=0.6)
        key_2_reaches_bob(call, call_id, registered, daemon)
        record = call_log(daemon).get(call_id)
        assert (record.scheme, record.answered_by, record.route) == \
            (None, "Bob Jones", "menu 'Main': 2 -> employee 'Bob Jones'")
    finally:
        doc.write_text(yaml.safe_dump({"assignments": {NUMBER: "IVR to departments"}}))
        cli(daemon.path, "project", "import", str(doc))
        daemon.wait_directory_loaded()
    ari.assert_clean()


def test_given_voicemail_when_the_caller_speaks_then_the_message_is_stored_with_what_was_said(
        daemon, registered, carrier, company, ari):
    from callctl.store.db import make_engine, sessions
    from callctl.store.messages import Messages
    call, call_id = in_menu(carrier, daemon, "+15557100006")
    call.send_dtmf("5")  # invalid, then nothing: the retries run out to voicemail
    daemon.wait_log("call.voicemail_recording", call=call_id, timeout=25)
    call.play_tone(1000)
    call.record(3.0)  # three seconds of the tone go into the message
    call.stop_tone()
    call.send_dtmf("#")  # '#' ends the message
    daemon.wait_log("call.voicemail", call=call_id, timeout=5)
    call.wait_disconnected(timeout=10)  # "goodbye", then the call ends
    daemon.wait_log("call.ended", call=call_id, outcome="voicemail")
    stored = daemon.wait_log("voicemail.stored", call=call_id, timeout=10)
    assert 2.5 <= float(stored["seconds"]) <= 4.5
    message = Messages(sessions(make_engine(daemon.config["database"]["url"]))).for_call(call_id)
    assert message.box == "General"
    assert abs(dominant_frequency(samples_of(message.audio), 8000) - 1000) < 20
    record = call_log(daemon).get(call_id)
    assert (record.outcome, record.voicemail_box) == ("voicemail", "General")
    assert ari.get("/recordings/stored") == []  # Asterisk's copy is gone once ours is kept
    ari.assert_clean()


def test_given_a_caller_in_a_menu_when_the_daemon_is_killed_then_the_menu_starts_again(
        daemon, registered, carrier, company, ari):
    call, call_id = in_menu(carrier, daemon, "+15557100007")
    assert call.hears_tone(GREETING, seconds=0.6)
    daemon.stop(signal.SIGKILL)
    daemon.start()  # reconcile finds the caller by its CALLCTL_STEP and starts again
    daemon.wait_log("call.resumed", call=call_id)
    daemon.wait_log("call.menu", call=call_id, menu="Main")
    assert call.hears_tone(GREETING, seconds=0.6)  # the caller is not left in silence
    key_2_reaches_bob(call, call_id, registered, daemon)
    assert call_log(daemon).get(call_id).answered_by == "Bob Jones"
    ari.assert_clean()


def test_given_a_caller_recording_when_the_daemon_is_killed_then_the_whole_message_is_kept(
        daemon, registered, carrier, company, ari):
    call, call_id = in_menu(carrier, daemon, "+15557100008")
    call.send_dtmf("5")  # invalid, then nothing: voicemail
    daemon.wait_log("call.voicemail_recording", call=call_id, timeout=25)
    call.play_tone(1000)
    daemon.stop(signal.SIGKILL)  # Asterisk goes on recording meanwhile
    call.record(1.5)
    daemon.start()
    daemon.wait_log("call.resumed", call=call_id)
    call.record(1.0)
    call.stop_tone()
    call.send_dtmf("#")
    daemon.wait_log("call.ended", call=call_id, outcome="voicemail", timeout=10)
    stored = daemon.wait_log("voicemail.stored", call=call_id, timeout=10)
    assert float(stored["seconds"]) >= 2.5  # before, during and after the outage
    ari.assert_clean()


def test_recipe_two_managers_one_by_one_then_the_mobile_then_voicemail(
        daemon, registered, carrier, company, ari, tmp_path):
    """The seed recipe: nobody picks up, so the caller ends in voicemail and leaves a
    message; every leg tried is in the call log, in order."""
    recipe = {"name": "Managers then voicemail", "kind": "sequential", "branches": [
        {"name": "always", "blocks": [
            {"timeout": 2, "directions": [{"employee": "Alice Smith"},
                                          {"employee": "Bob Jones"}]},
            {"timeout": 2, "directions": [{"phone_number": "+15550177"}]},
            {"timeout": 60, "directions": [{"voicemail": "General"}]}]}]}
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    cli(daemon.path, "schemes", "add", str(path), "--replace")
    cli(daemon.path, "schemes", "assign", NUMBER, recipe["name"])
    daemon.wait_directory_loaded()
    try:
        call = carrier.call(NUMBER, caller_id="+15557100009")
        planned = daemon.wait_log("call.planned", scheme=recipe["name"])
        registered["alice"].wait_incoming().wait_disconnected(timeout=4)
        registered["bob"].wait_incoming().wait_disconnected(timeout=4)
        mobile = carrier.wait_incoming()
        assert mobile.local_user == "+15550177"
        mobile.wait_disconnected(timeout=4)
        daemon.wait_log("call.voicemail_recording", call=planned["call"], timeout=20)
        call.play_tone(1000)
        call.record(2.0)
        call.hangup()  # hanging up ends the message: what was said is kept
        daemon.wait_log("call.ended", call=planned["call"], outcome="voicemail")
        daemon.wait_log("voicemail.stored", call=planned["call"], timeout=10)
        record = call_log(daemon).get(planned["call"])
        assert [(leg.employee, leg.result) for leg in record.legs] == [
            ("Alice Smith", "no_answer"), ("Bob Jones", "no_answer"), (None, "no_answer")]
        assert record.route == "voicemail 'General'"
    finally:
        cli(daemon.path, "schemes", "assign", NUMBER, "IVR to departments")
        daemon.wait_directory_loaded()
    ari.assert_clean()
