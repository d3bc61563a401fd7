"""`callctl menus|voicemail ...` and `callctl simulate --digits`, run in-process against a
real SQLite database: documents saved and refused, numbers served by menus and boxes,
deletes refused naming where, and keys walked through menus as the daemon would."""
from __future__ import annotations

import json

import pytest
import yaml

from tests.support import audio as gen

from .test_schemes_cli import THURSDAY, env, run  # noqa: F401 - env is a fixture

BOX = {"name": "General", "max_seconds": 60, "notify": [{"employee": "Mia Park"}]}
MAIN = {"name": "Main", "greeting": {"asterisk": "hello-world"}, "retries": 1,
        "options": {1: {"department": "Sales"}, 2: {"ivr": "Support"},
                    0: {"voicemail": "General"}, "*": "repeat", "#": "hangup"},
        "final": {"voicemail": "General"}}
SUPPORT = {"name": "Support", "greeting": {"default": "ivr-timeout"}, "retries": 0,
           "options": {1: {"employee": "Max Stone"}, 2: {"phone_number": "+15550199"}}}
FRONT = {"name": "Front", "kind": "sequential", "branches": [{"name": "always", "blocks": [
    {"timeout": 90, "directions": [{"ivr": "Main"}]},
    {"timeout": 20, "directions": [{"phone_number": "+15550199"}]}]}]}


def save(env, capsys, command, doc, *flags):
    path = env.path / f"{doc.get('name', 'doc')}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return run(env, capsys, command, "add", str(path), *flags)


@pytest.fixture
def menus(env, capsys):
    """Box, two menus, a scheme whose first block is the main menu; +15550101 is served by
    the menu itself, +15550100 walks the scheme."""
    for command, doc in (("voicemail", BOX), ("menus", SUPPORT), ("menus", MAIN),
                         ("schemes", FRONT)):
        code, _, err = save(env, capsys, command, doc)
        assert code == 0, err
    assert run(env, capsys, "menus", "route", "+15550101", "Main")[0] == 0
    assert run(env, capsys, "schemes", "assign", "+15550100", "Front")[0] == 0
    return env


def simulate(env, capsys, number, digits=None):
    extra = ("--digits", digits) if digits is not None else ()
    code, out, err = run(env, capsys, "simulate", "--number", number, "--caller", "+4930555",
                         "--at", THURSDAY, *extra)
    assert (code, err) == (0, "")
    return out.splitlines()


# ---- the commands --------------------------------------------------------------------------

def test_given_documents_when_added_then_listed_shown_and_where_used(menus, capsys):
    assert run(menus, capsys, "menus", "list")[1] == ("Main  numbers: +15550101\n"
                                                      "Support  numbers: -\n")
    code, out, _ = run(menus, capsys, "menus", "show", "support")
    assert code == 0 and yaml.safe_load(out) == {
        "name": "Support", "greeting": {"default": "ivr-timeout"},
        "options": {"1": {"employee": "Max Stone"}, "2": {"phone_number": "+15550199"}},
        "digit_timeout": 5, "retries": 0, "ring_timeout": 30,
        "used_by": ["menu 'Main', option '2'"]}
    shown = json.loads(run(menus, capsys, "voicemail", "show", "General", "--json")[1])
    assert shown["used_by"] == ["menu 'Main', option '0'", "menu 'Main', final direction"]


def test_given_a_changed_file_when_added_again_then_refused_unless_replace(menus, capsys):
    code, out, err = save(menus, capsys, "voicemail", {**BOX, "max_seconds": 90})
    assert (code, out) == (2, "")
    assert err == ("callctl: refused, nothing changed: voicemail box 'General': already "
                   "exists (save it with replace to overwrite it)\n")
    code, out, _ = save(menus, capsys, "voicemail", {**BOX, "max_seconds": 90}, "--replace")
    assert (code, out) == (0, "voicemail box 'General' replaced\n")


def test_given_a_number_served_by_a_menu_when_unrouted_then_it_rings_its_employee(menus,
                                                                                  capsys):
    code, out, _ = run(menus, capsys, "voicemail", "route", "+15550101", "general")
    assert (code, out) == (0, "number +15550101 is served by voicemail box 'General'\n")
    code, out, _ = run(menus, capsys, "menus", "unroute", "+15550101")
    assert (code, out) == (0, "number +15550101 rings its employee (was voicemail "
                              "'General')\n")
    assert simulate(menus, capsys, "+15550101")[1] == \
        "number +15550101 rings Max Stone: step 1: rings SIP max for 30 s"


@pytest.mark.parametrize("argv, message", [
    (("employees", "delete", "Max Stone"), "menu 'Support', option '1' names it"),
    (("employees", "delete", "Mia Park", "--force"),
     "still used and cannot be detached: voicemail box 'General' notifies it"),
    (("departments", "delete", "Sales", "--force"),
     "still used and cannot be detached: menu 'Main', option '1' names it"),
    (("menus", "delete", "Support"), "IVR menu 'Support': still used: menu 'Main', option '2'"),
    (("menus", "delete", "Main"), "IVR menu 'Main': still used: number +15550101 is served "
                                  "by it; scheme 'Front', branch 'always', block 1"),
    (("voicemail", "delete", "General"), "voicemail box 'General': still used: menu 'Main', "
                                         "option '0'; menu 'Main', final direction"),
    (("menus", "delete", "Nope"), "nothing changed: no IVR menu named 'Nope'"),
])
def test_given_something_used_when_deleted_on_the_cli_then_refused_naming_where(
        menus, capsys, argv, message):
    before = run(menus, capsys, "project", "export")[1]
    code, out, err = run(menus, capsys, *argv)
    assert (code, out) == (2, "") and message in err
    assert run(menus, capsys, "project", "export")[1] == before


def test_given_a_menu_on_a_sip_account_and_a_prompt_when_deleted_then_refused(env, capsys):
    (env.path / "hi.wav").write_bytes(gen.wav())
    assert run(env, capsys, "prompts", "add", "Hi", str(env.path / "hi.wav"))[0] == 0
    assert save(env, capsys, "menus", {"name": "Desk", "greeting": "Hi",
                                       "options": {1: {"sip_account": "mia"}}})[0] == 0

    code, _, err = run(env, capsys, "sip", "delete", "mia")
    assert code == 2 and "menu 'Desk', option '1' names it" in err
    code, _, err = run(env, capsys, "prompts", "delete", "Hi")
    assert code == 2 and "still used: menu 'Desk'" in err


def test_given_a_scheme_a_menu_leads_to_when_deleted_then_refused_naming_the_menu(menus,
                                                                                 capsys):
    save(menus, capsys, "menus", {**SUPPORT, "options": {9: {"scheme": "Front"}}},
         "--replace")
    run(menus, capsys, "schemes", "unassign", "+15550100")
    code, _, err = run(menus, capsys, "schemes", "delete", "Front", "--force")
    assert code == 2 and "scheme 'Front': still used: menu 'Support' leads to it" in err


@pytest.mark.parametrize("doc, message", [
    ({**MAIN, "options": {10: "hangup"}}, "option 10: a key is one digit 0-9, * or #"),
    ({**MAIN, "options": {"a": "hangup"}}, "option 'a': a key is one digit"),
    ({**MAIN, "options": {"**": "hangup"}}, "option '**': a key is one digit"),
    ({**MAIN, "options": {1: {"employee": "Nobody"}}},
     "menu 'Main': option '1': direction employee 'Nobody': no such employee"),
    ({**MAIN, "greeting": "Nope"}, "menu 'Main': prompt 'Nope': no such prompt"),
    ({**MAIN, "colour": "red"}, "menu 'Main': unknown key 'colour'"),
    ({**BOX, "notify": [{"sms": "+1 555"}]}, "notify sms '+1 555': not a phone number"),
    ({**BOX, "notify": [{"email": "mia@"}]}, "notify email 'mia@': not an e-mail address"),
    ({**BOX, "silence_seconds": -1}, "key 'silence_seconds': -1 must be a whole number of "
                                     "seconds from 0 to 600"),
])
def test_given_a_bad_document_when_added_then_exit_2_naming_the_problem(env, capsys, doc,
                                                                       message):
    command = "voicemail" if "notify" in doc or "silence_seconds" in doc else "menus"
    code, out, err = save(env, capsys, command, doc)
    assert (code, out) == (2, "") and message in err
    assert run(env, capsys, command, "list")[1].startswith("no ")


# ---- simulate --digits --------------------------------------------------------------------

def test_given_a_number_served_by_a_menu_when_simulated_with_a_key_then_it_leads_there(
        menus, capsys):
    assert simulate(menus, capsys, "+15550101", "1") == [
        "call from +4930555 to +15550101 at Thu 2026-11-26 10:30 (Europe/Berlin)",
        "number +15550101 is served by ivr 'Main'",
        "step 1: IVR menu 'Main' plays asterisk 'hello-world'; keys 0, 1, 2, *, #; up to "
        "300 s",
        "then the caller hears asterisk 'vm-nobodyavail' (not answered) and the call ends as "
        "missed",
        "menu 'Main': key 1 -> department 'Sales'",
        "  step 1: department 'Sales' rings SIP max, SIP mia for 30 s",
        "  if nobody answers there within the menu's 300 s, the call goes on after the menu"]


def test_given_a_scheme_whose_first_block_is_a_menu_when_simulated_then_nested_menus_walk(
        menus, capsys):
    lines = simulate(menus, capsys, "+15550100", "2,1")
    assert lines[-6:] == [
        "menu 'Main': key 2 -> ivr 'Support'",
        "  step 1: IVR menu 'Support' plays default 'ivr-timeout'; keys 1, 2; up to 300 s",
        "  menu 'Support': key 1 -> employee 'Max Stone'",
        "    step 1: employee 'Max Stone' rings SIP max for 30 s",
        "    if nobody answers there within the menu's 90 s, the call goes on after the menu",
        "  if nobody answers there within the menu's 90 s, the call goes on after the menu"]
    assert "block 1, 90 s:" in lines and "  step 1: IVR menu 'Main' plays asterisk " \
        "'hello-world'; keys 0, 1, 2, *, #; up to 90 s" in lines


def test_given_invalid_keys_when_simulated_then_retries_then_the_final_direction(menus,
                                                                                 capsys):
    lines = simulate(menus, capsys, "+15550101", "7,*,8")
    assert lines[4:] == [
        "menu 'Main': key 7 is not an option: the caller hears default 'ivr-invalid' and "
        "the greeting again (try 1 of 1)",
        "menu 'Main': key *: the greeting plays again",
        "menu 'Main': key 8 is not an option, no tries left: final direction voicemail "
        "'General'",
        "  step 1: voicemail 'General': greeting default 'voicemail-working', beep, a message "
        "of up to 60 s",
        "  the call ends when the message is left"]


def test_given_keys_left_over_when_simulated_then_they_are_named(menus, capsys):
    assert simulate(menus, capsys, "+15550101", "2,1,5,5")[-2:] == [
        "  if nobody answers there within the menu's 300 s, the call goes on after the menu",
        "keys left over: 5, 5 (no menu was waiting for them)"]
    assert simulate(menus, capsys, "+15550101", "#,1")[-3:] == [
        "menu 'Main': key # -> hangup",
        "  the call ends", "keys left over: 1 (no menu was waiting for them)"]


def test_given_no_keys_when_simulated_then_the_menu_lists_its_keys(menus, capsys):
    assert simulate(menus, capsys, "+15550101")[-1] == (
        "menu 'Main': no key given (--digits); keys: 0 -> voicemail 'General', 1 -> "
        "department 'Sales', 2 -> ivr 'Support', * -> repeat, # -> hangup")


@pytest.mark.parametrize("digits", ["1,a", "12x", "1" * 33])
def test_given_bad_keys_when_simulated_then_exit_2(menus, capsys, digits):
    code, _, err = run(menus, capsys, "simulate", "--number", "+15550101", "--caller",
                       "+4930555", "--at", THURSDAY, "--digits", digits)
    assert code == 2 and "keys are 0-9, * and #, at most 32" in err


def test_given_a_menu_in_an_off_hours_branch_when_voicemail_is_chosen_then_closed_greeting(
        menus, capsys):
    night = {**FRONT, "branches": [{**FRONT["branches"][0], "off_hours": True}]}
    assert save(menus, capsys, "schemes", night, "--replace")[0] == 0

    lines = simulate(menus, capsys, "+15550100", "0")

    assert "branch 'always' (off hours) chosen: every day 00:00–23:59 contains Thu 10:30" \
        in lines
    assert lines[-2:] == [
        "  step 1: voicemail 'General': greeting default 'voicemail-closed', beep, a message "
        "of up to 60 s",
        "  the call ends when the message is left"]
