"""The bad-input corpus's menus and voicemail boxes (see badinput.py): project documents,
CLI calls and API requests a new user could write about them. Each case names the text
its refusal must contain."""
from __future__ import annotations

from .badinput import _DELETE, BASE, HUGE, _set, _yaml

MENU = ("menus", 0)
BOX = ("voicemail", 0)


def menu_documents(add) -> None:
    """`add(name, doc or raw bytes, where)` for each document."""
    options = MENU + ("options",)
    for key, value, where in [
            ("colour", "red", "unknown key 'colour'"), ("name", "", "key 'name'"),
            ("name", HUGE, "key 'name'"), ("name", "a\nb", "key 'name'"),
            ("name", None, "key 'name'"), ("name", 42, "key 'name'"),
            ("greeting", "Nope", "prompt 'Nope': no such prompt"),
            ("greeting", {"default": "nope"}, "no such default sound"),
            ("greeting", {"asterisk": "../../etc/passwd"}, "is not a prompt"),
            ("greeting", {"asterisk": "beep", "default": "beep"}, "is not a prompt"),
            ("greeting", {"upload": ""}, "key 'greeting'"), ("greeting", 42, "is not a prompt"),
            ("greeting", None, "is not a prompt"), ("greeting", HUGE, "key 'greeting'"),
            ("options", {}, "key 'options'"), ("options", [1, 2], "key 'options'"),
            ("options", "1", "key 'options'"), ("options", None, "key 'options'"),
            ("digit_timeout", 0, "key 'digit_timeout'"), ("digit_timeout", 61, "digit_timeout"),
            ("digit_timeout", "5", "digit_timeout"), ("digit_timeout", True, "digit_timeout"),
            ("digit_timeout", 2.5, "digit_timeout"), ("retries", -1, "key 'retries'"),
            ("retries", 10, "key 'retries'"), ("ring_timeout", 0, "key 'ring_timeout'"),
            ("ring_timeout", 601, "key 'ring_timeout'"),
            ("invalid_prompt", "Nope", "prompt 'Nope': no such prompt"),
            ("no_input_prompt", [], "key 'no_input_prompt'"),
            ("final", {"employee": "Nobody"}, "key 'final': direction employee 'Nobody'"),
            ("final", "repeat", "key 'final'"), ("final", 5, "key 'final'")]:
        add(f"menu-{key}-{str(value)[:20]!r}", _set(BASE, MENU + (key,), value), where)
    add("menu-greeting-missing", _set(BASE, MENU + ("greeting",), _DELETE), "'greeting'")
    add("menu-options-missing", _set(BASE, MENU + ("options",), _DELETE), "'options'")
    for digit in (10, "a", "**", "", "1 ", -1, 1.5, True):
        add(f"menu-digit-{digit!r}", _set(BASE, options, {digit: "hangup"}), "a key is one digit")
    for value, where in [
            ({"employee": "Nobody"}, "option '1': direction employee 'Nobody': no such"),
            ({"department": "Nope"}, "option '1': direction department 'Nope': no such"),
            ({"sip_account": "ghost"}, "option '1': direction sip_account 'ghost': no such"),
            ({"scheme": "Nope"}, "option '1': direction scheme 'Nope': no such scheme"),
            ({"ivr": "Nope"}, "option '1': direction ivr 'Nope': no such IVR menu"),
            ({"voicemail": "Nope"}, "option '1': direction voicemail 'Nope': no such"),
            ({"webhook": "W"}, "no such webhook"), ({"phone_number": "abc"}, "phone number"),
            ({"phone_number": 15550199}, "in quotes"), ({"employee": HUGE}, "option '1'"),
            ("dance", "option '1'"), (None, "option '1'"), ({"colour": "red"}, "unknown kind"),
            ({"employee": "Bob Jones", "department": "Sales"}, "option '1'")]:
        add(f"menu-option-{str(value)[:24]!r}", _set(BASE, options + (1,), value), where)
    add("menu-digit-twice", _set(BASE, options, {1: "hangup", "1": "repeat"}),
        "option '1': is given twice")
    add("menus-not-a-list", _set(BASE, ("menus",), {"name": "M"}), "menus: must be a list")
    add("menus-null", _set(BASE, ("menus",), None), "menus: must be a list")
    add("menus-item-not-a-mapping", _set(BASE, MENU, "Front desk"), "must be a mapping")
    add("menus-duplicate", _set(BASE, ("menus",), BASE["menus"] * 2), "is given twice: also at")
    add("menus-duplicate-case", _set(BASE, ("menus",), BASE["menus"] + [
        {**BASE["menus"][0], "name": "FRONT  DESK"}]), "is given twice: also at")
    # boxes
    for key, value, where in [
            ("colour", "red", "unknown key 'colour'"), ("name", "", "key 'name'"),
            ("max_seconds", 0, "key 'max_seconds'"), ("max_seconds", 601, "from 1 to 600"),
            ("max_seconds", "60", "max_seconds"), ("max_seconds", True, "max_seconds"),
            ("max_seconds", 1e9, "max_seconds"), ("silence_seconds", -1, "silence_seconds"),
            ("silence_seconds", 601, "silence_seconds"), ("greeting", "Nope", "no such prompt"),
            ("greeting", {"default": "ivr-nope"}, "no such default sound"),
            ("notify", "office@example.com", "key 'notify': must be a list"),
            ("notify", {"email": "office@example.com"}, "key 'notify': must be a list")]:
        add(f"box-{key}-{str(value)[:20]!r}", _set(BASE, BOX + (key,), value), where)
    for entry, where in [
            ({"email": "not-an-email"}, "not an e-mail address"),
            ({"email": "office@example"}, "not an e-mail address"),
            ({"email": "a b@example.com"}, "not an e-mail address"),
            ({"email": "a\x00b@example.com"}, "control character"),
            ({"email": "x" * 300 + "@example.com"}, "at most 254"),
            ({"sms": 15550123}, "quote phone numbers"), ({"sms": "abc"}, "not a phone number"),
            ({"sms": "+1 555 0123"}, "not a phone number"), ({"sms": "12"}, "not a phone number"),
            ({"pager": "x"}, "kind one of"), ({"employee": "Nobody"}, "no such employee"),
            ({"department": "Nope"}, "no such department"), ("office@example.com", "notify"),
            ({"email": "a@example.com", "sms": "+15550123"}, "notify")]:
        add(f"box-notify-entry-{str(entry)[:24]!r}", _set(BASE, BOX + ("notify",), [entry]), where)
    add("box-notify-twice", _set(BASE, BOX + ("notify",), [{"employee": "Bob Jones"}] * 2),
        "notify employee 'Bob Jones': is given twice")
    add("voicemail-not-a-list", _set(BASE, ("voicemail",), "Office"), "voicemail: must be")
    add("voicemail-duplicate", _set(BASE, ("voicemail",), BASE["voicemail"] * 2),
        "is given twice: also at")
    # numbers served by them
    for value, where in [({"ivr": "Nope"}, "no such IVR menu"),
                         ({"voicemail": "Nope"}, "no such voicemail box"),
                         ({"webhook": "W"}, "write a scheme's name"),
                         ({"queue": "Q"}, "no such queue"),
                         ({"ivr": 5}, "write a scheme's name"),
                         ({"ivr": "Front desk", "voicemail": "Office"}, "write a scheme's"),
                         ({"ivr": "a\nb"}, "control character")]:
        add(f"assign-{str(value)[:30]!r}", _set(BASE, ("assignments", "+15550101"), value),
            "assignments.+15550101")
    # YAML that does not say what it seems to
    text = _yaml(BASE)
    for name, old, new, where in [
            ("star-unquoted", b"  options:\n", b"  options:\n    *: hangup\n", "line"),
            ("digit-twice", b"  options:\n", b"  options:\n    1: hangup\n    1: repeat\n",
             "is given twice in one mapping"),
            # YAML 1.1 reads `yes` as true, and true == 1: the same key as option 1
            ("yes-key", b"  options:\n", b"  options:\n    yes: hangup\n", "given twice"),
            ("octal-ish", b"  options:\n", b"  options:\n    08: hangup\n", "option '08'"),
            ("sms-unquoted", b"sms: '+15550177'", b"sms: +15550177", "quote phone numbers"),
            ("tab-indent", b"  max_seconds: 60", b"\tmax_seconds: 60", "line")]:
        assert old in text, name
        add(f"yaml-{name}", text.replace(old, new, 1), where)



def menu_cli_calls(add) -> None:
    """`add(name, where, *argv)` for each call."""
    for command in ("menus", "voicemail"):
        add(f"{command}-add-missing", "cannot read", command, "add", "no-such-file.yaml")
        add(f"{command}-show-unknown", "no ", command, "show", "Nope")
        add(f"{command}-delete-unknown", "no ", command, "delete", "Nope")
        add(f"{command}-route-number", "not a company number", command, "route",
            "+15559999", "Front desk")
        add(f"{command}-route-unknown", "no such", command, "route", "+15550100", "Nope")
        add(f"{command}-unroute-number", "not a company number", command, "unroute",
            "+15559999")
    add("menus-delete-used", "number +15550101 is served by it", "menus", "delete",
        "Front desk")
    add("voicemail-delete-used", "menu 'Front desk', option '0'", "voicemail", "delete",
        "office")
    add("employee-delete-menu", "menu 'Front desk', option '2' names it", "employees",
        "delete", "Bob Jones", "--force")
    add("sip-delete-menu", "menu 'Front desk', option '3' names it", "sip", "delete", "alice")
    add("scheme-delete-menu", "menu 'Front desk' leads to it", "schemes", "delete", "Day",
        "--force")
    for i, digits in enumerate(["1,a", "1-2", "**x", "1" * 40]):
        add(f"simulate-digits-{i}", "--digits", "simulate", "--number", "+15550101",
            "--caller", "+15557654321", "--at", "2026-11-26 10:00", "--digits", digits)


def menu_api_requests(add) -> None:
    """`add(name, method, path, body, where)` for each request."""
    menu = BASE["menus"][0]
    for key, value, where in [
            ("options", {"10": "hangup"}, "a key is one digit"),
            ("options", {"a": "hangup"}, "a key is one digit"),
            ("options", {"**": "hangup"}, "a key is one digit"),
            ("options", {"1": {"employee": "Nobody"}}, "no such employee"),
            ("options", "1", "key 'options'"), ("greeting", "Nope", "no such prompt"),
            ("greeting", {"default": "nope"}, "no such default sound"),
            ("digit_timeout", 0, "digit_timeout"), ("digit_timeout", "5", "digit_timeout"),
            ("retries", 10, "retries"), ("final", {"scheme": "Nope"}, "no such scheme"),
            ("name", "a\nb", "key 'name'"), ("name", "FRONT DESK", "already has this name"),
            ("colour", "red", "colour")]:
        add(f"menu-{key}-{str(value)[:16]!r}", "POST", "/menus",
            {**menu, "name": "New", key: value}, where)
    box = BASE["voicemail"][0]
    for key, value, where in [
            ("notify", [{"email": "office@@example"}], "not an e-mail address"),
            ("notify", [{"sms": "call me"}], "not a phone number"),
            ("notify", [{"sms": 15550123}], "quote phone numbers"),
            ("notify", [{"employee": "Nobody"}], "no such employee"),
            ("max_seconds", 0, "max_seconds"), ("max_seconds", 601, "max_seconds"),
            ("silence_seconds", True, "silence_seconds"), ("name", "OFFICE", "already")]:
        add(f"box-{key}-{str(value)[:16]!r}", "POST", "/voicemail-boxes",
            {**box, "name": "New", key: value}, where)
    add("menu-put-other-name", "PUT", "/menus/Front%20desk", {**menu, "name": "Other"}, "name")
    add("menu-delete-used", "DELETE", "/menus/Front%20desk", None, "still used")
    add("box-delete-used", "DELETE", "/voicemail-boxes/Office", None, "still used")
    add("employee-force-delete-menu", "DELETE", "/employees/Bob%20Jones?force=true", None,
        "menu 'Front desk', option '2' names it")
    for body, where in [({"kind": "ivr", "target": "Nope"}, "no such IVR menu"),
                        ({"kind": "webhook", "target": "W"}, "kind"),
                        ({"kind": "queue", "target": "Q"}, "no such queue"),
                        ({"kind": "voicemail"}, "target"),
                        ({"kind": "ivr", "target": "Front desk", "extra": 1}, "extra")]:
        add(f"route-{str(body)[:30]!r}", "PUT", "/numbers/%2B15550100/route", body, where)
    add("route-unknown-number", "PUT", "/numbers/%2B15559999/route",
        {"kind": "ivr", "target": "Front desk"}, "not a company number")
