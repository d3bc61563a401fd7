"""A generated corpus of bad input (issue 16): project documents, CLI calls and API requests
that a new user could write. Each case says where its refusal must point (`where`: a text
the message must contain, such as `employees[0].email` or `line 3`).

Deterministic: the same cases every run, built by mutating one valid company.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass

import yaml

BASE = {
    "departments": [{"name": "Sales", "extension": "200"}],
    "employees": [
        {"full_name": "Alice Smith", "email": "alice@example.com", "extension": "101",
         "department": "Sales", "access_level": "admin", "online": True,
         "phone_numbers": ["+15550177"], "other_contacts": ["sip:alice@home.example"]},
        {"full_name": "Bob Jones", "email": "bob@example.com", "extension": "102",
         "department": "Sales", "access_level": "operator", "online": True,
         "phone_numbers": [], "other_contacts": []}],
    "sip_accounts": [{"login": "alice", "employee": "Alice Smith", "on_pc": True,
                      "on_mobile": False}],
    "numbers": [{"number": "+15550100", "employee": "Alice Smith", "ring_timeout": 20,
                 "fallback": "Bob Jones"},
                {"number": "+15550101", "employee": "Bob Jones"}],
    "voicemail": [{"name": "Office", "max_seconds": 60, "notify": [
        {"employee": "Bob Jones"}, {"email": "office@example.com"}, {"sms": "+15550177"}]}],
    "menus": [{"name": "Front desk", "greeting": {"default": "ivr-timeout"},
               "options": {1: {"scheme": "Day"}, 2: {"employee": "Bob Jones"},
                           3: {"sip_account": "alice"}, 0: {"voicemail": "Office"}},
               "final": {"voicemail": "Office"}}],
    "schemes": [{"name": "Day", "kind": "sequential", "branches": [
        {"name": "weekdays", "schedule": {"days": "mon-fri", "hours": ["09:00-18:00"]},
         "blocks": [{"timeout": 20, "directions": [{"employee": "Alice Smith"},
                                                   {"phone_number": "+15550199"}]}]}]}],
    "assignments": {"+15550100": "Day", "+15550101": {"ivr": "Front desk"}},
}

HUGE = "x" * 200_000
# Left out of an existing entry, the other fields are left as they are.
REQUIRED = {"departments": ("name", "extension"), "employees": ("full_name", "email", "extension"),
            "sip_accounts": ("login",), "numbers": ("number",)}
ODD_TEXT = ["", " ", "\n", "a\nb", "a\x00b", "a\x07b", "a\u200bb", "a\u202eb", "\ufeffa",
            "a\u2028b", "\ue000", HUGE]
WRONG_TYPES = [None, 42, 4.5, True, ["a"], {"a": 1}]


@dataclass(frozen=True)
class Doc:
    name: str
    data: bytes
    where: str  # the message must contain this


@dataclass(frozen=True)
class Call:
    name: str
    argv: tuple[str, ...]
    where: str


@dataclass(frozen=True)
class Request:
    name: str
    method: str
    path: str
    body: bytes | None
    where: str


def _yaml(doc) -> bytes:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True).encode()


def _set(doc, path, value):
    out = copy.deepcopy(doc)
    node = out
    for part in path[:-1]:
        node = node[part]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


_DELETE = object()


def _label(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def project_documents() -> list[Doc]:
    docs: list[Doc] = []

    def add(name, doc, where):
        docs.append(Doc(name, doc if isinstance(doc, bytes) else _yaml(doc), where))

    # every field of one entry per directory section: odd text, wrong types, missing
    for section in ("departments", "employees", "sip_accounts", "numbers"):
        entry = BASE[section][0]
        for key in entry:
            path = (section, 0, key)
            for i, value in enumerate(WRONG_TYPES):
                if value is None and key in ("department", "employee", "fallback") or \
                        type(value) is type(entry[key]):
                    continue  # allowed there
                add(f"{_label(path)}-type{i}", _set(BASE, path, value), _label(path))
            if isinstance(entry[key], str):
                for i, value in enumerate(ODD_TEXT):
                    if key in ("department", "employee", "fallback") and value == "":
                        where = section  # an empty reference fails at the entry
                    else:
                        where = section
                    add(f"{_label(path)}-text{i}", _set(BASE, path, value), where)
            if key in REQUIRED[section]:
                add(f"{_label(path)}-missing", _set(BASE, path, _DELETE), section)
        add(f"{section}-unknown-key", _set(BASE, (section, 0, "colour"), "red"),
            f"{section}[0].colour: unknown key")
        add(f"{section}-not-a-list", _set(BASE, (section,), {"a": 1}), section)
        add(f"{section}-null", _set(BASE, (section,), None), section)
        add(f"{section}-item-not-a-mapping", _set(BASE, (section, 0), "Sales"), section)
        add(f"{section}-duplicate", _set(BASE, (section,), BASE[section] + [BASE[section][0]]),
            "is given twice")
    # names and numbers that are the same as another once normalised
    for i, variant in enumerate(["alice smith", "ALICE SMITH", "Alice  Smith", "Alice\u00a0Smith",
                                 "\uff21lice Smith"]):
        add(f"employees-same-name{i}", _set(BASE, ("employees", 1, "full_name"), variant),
            "is given twice")
    for i, variant in enumerate(["(555) 0100", "555-0100", "+1 555 0100"]):
        add(f"numbers-same-number{i}", _set(BASE, ("numbers",), BASE["numbers"] + [
            {"number": variant, "employee": "Bob Jones"}]), "is given twice")
    add("sip-same-login", _set(BASE, ("sip_accounts",), BASE["sip_accounts"] + [
        {"login": "ALICE"}]), "is given twice")
    add("employees-same-email", _set(BASE, ("employees", 1, "email"), "ALICE@example.com"),
        "is given twice")
    # values whose meaning could be misread
    for i, phone in enumerate(["\u0665\u0665\u0665\u0660\u0661\u0669\u0669", "1-800-FLOWERS",
                               "+999123", "123", "tel:+15550100", "+1555\n0100"]):
        add(f"phone-{i}", _set(BASE, ("employees", 0, "phone_numbers"), [phone]),
            "employees[0].phone_numbers")
        add(f"number-{i}", _set(BASE, ("numbers", 0, "number"), phone), "numbers[0].number")
        add(f"direction-phone-{i}", _set(BASE, ("schemes", 0, "branches", 0, "blocks", 0,
                                                "directions", 1, "phone_number"), phone),
            "schemes[0]")
    add("ring-timeout-true", _set(BASE, ("numbers", 0, "ring_timeout"), True),
        "numbers[0].ring_timeout")
    for i, value in enumerate([0, 601, -5, "30", 1e9]):
        add(f"ring-timeout-{i}", _set(BASE, ("numbers", 0, "ring_timeout"), value),
            "numbers[0].ring_timeout")
    add("unquoted-plus", _yaml(BASE).replace(b"number: '+15550100'", b"number: +15550100"),
        "numbers[0].number")
    add("unquoted-direction", _yaml(BASE).replace(b"phone_number: '+15550199'",
                                                  b"phone_number: +15550199"), "schemes[0]")
    add("online-yes-string", _set(BASE, ("employees", 0, "online"), "yes"),
        "employees[0].online")
    add("access-level-root", _set(BASE, ("employees", 0, "access_level"), "root"),
        "employees[0].access_level")
    # dangling references
    for path, value in [(("employees", 0, "department"), "Nope"),
                        (("sip_accounts", 0, "employee"), "Nobody"),
                        (("numbers", 0, "employee"), "Nobody"),
                        (("numbers", 0, "fallback"), "Nobody"),
                        (("numbers", 0, "employee"), None),
                        (("numbers", 0, "fallback"), "+15550100"),
                        (("assignments",), {"+15550100": "Nope"}),
                        (("assignments",), {"+15559999": "Day"}),
                        (("assignments",), {"not a number": "Day"}),
                        (("assignments",), {"+15550100": 42}),
                        (("assignments",), ["+15550100"])]:
        add(f"dangling-{_label(path)}-{value!r}"[:80], _set(BASE, path, value), path[0])
    for kind, target in [("employee", "Nobody"), ("department", "Nope"),
                         ("sip_account", "ghost"), ("scheme", "Nope"), ("scheme", "Day"),
                         ("sip_uri", "not a uri"), ("sip_uri", "sip:a@" + HUGE),
                         ("ivr", "Main"), ("voicemail", "Box"), ("colour", "red")]:
        add(f"direction-{kind}-{target[:20]}", _set(BASE, (
            "schemes", 0, "branches", 0, "blocks", 0, "directions", 0), {kind: target}),
            "schemes[0]")
    # scheme structure and times
    scheme_path = ("schemes", 0)
    branch = scheme_path + ("branches", 0)
    block = branch + ("blocks", 0)
    for path, value in [
            (scheme_path + ("kind",), "random"), (scheme_path + ("kind",), None),
            (scheme_path + ("name",), ""), (scheme_path + ("name",), "a\nb"),
            (scheme_path + ("name",), HUGE), (scheme_path + ("branches",), []),
            (scheme_path + ("branches",), "weekdays"), (scheme_path + ("music_on_hold",), "yes"),
            (scheme_path + ("extra",), 1), (branch + ("name",), ""), (branch + ("name",), HUGE),
            (branch + ("name",), "a\tb"), (branch + ("blocks",), []),
            (branch + ("blocks",), {"timeout": 1}), (branch + ("schedule",), "always"),
            (branch + ("schedule", "days"), "funday"), (branch + ("schedule", "days"), []),
            (branch + ("schedule", "days"), 5), (branch + ("schedule", "hours"), ["25:00-26:00"]),
            (branch + ("schedule", "hours"), ["18:01-08:59"]),
            (branch + ("schedule", "hours"), ["9-5"]), (branch + ("schedule", "hours"), "09-18"),
            (branch + ("schedule", "hours"), ["09:00-18:00", "12:00-13:00", "24:00-24:30"]),
            (branch + ("schedule", "colour"), "red"), (block + ("timeout",), 0),
            (block + ("timeout",), 601), (block + ("timeout",), True), (block + ("timeout",), "20"),
            (block + ("timeout",), 2.5), (block + ("directions",), []),
            (block + ("directions",), "Alice"), (block + ("directions", 0), "Alice"),
            (block + ("directions", 0), {"employee": "Alice Smith", "department": "Sales"}),
            (block + ("directions", 0), {"kind": "employee"}),
            (block + ("extra",), 1)]:
        add(f"scheme-{_label(path)}-{str(value)[:20]!r}", _set(BASE, path, value), "schemes[0]")
    add("scheme-duplicate", _set(BASE, ("schemes",), BASE["schemes"] * 2), "is given twice")
    add("scheme-duplicate-case", _set(BASE, ("schemes",), BASE["schemes"] + [
        {**BASE["schemes"][0], "name": "DAY"}]), "is given twice")
    add("scheme-branch-duplicate", _set(BASE, scheme_path + ("branches",),
                                        BASE["schemes"][0]["branches"] * 2),
        "another branch has the same name")
    loop = [{"name": n, "kind": "parallel", "branches": [{"name": "always", "blocks": [
        {"timeout": 5, "directions": [{"scheme": o}]}]}]} for n, o in (("A", "B"), ("B", "A"))]
    add("scheme-loop", _set(BASE, ("schemes",), BASE["schemes"] + loop), "cyclic scheme")
    add("scheme-self-loop", _set(BASE, block + ("directions", 0), {"scheme": "Day"}),
        "cyclic scheme")
    # the document as a whole
    for i, (raw, where) in enumerate([
            (b"", "the document is empty"), (b"# nothing\n", "the document is empty"),
            (b"null\n", "the document is empty"), (b"~\n", "the document is empty"),
            (b"{}\n", "names no section"), (b"[]\n", "the top level must be a mapping"),
            (b"42\n", "the top level must be a mapping"), (b"- a\n- b\n", "top level"),
            (b"just text\n", "top level"), (b"staff: []\n", "unknown section 'staff'"),
            (b"employees: [\n", "line"), (b"employees:\n\t- a\n", "line 2"),
            (b"employees: {a: 1, a: 2}\n", "is given twice"),
            (b"employees:\n- full_name: A\n  full_name: B\n", "line 3"),
            (b"a: *nope\n", "undefined alias"), (b"\x00\x01\x02", "binary"),
            (bytes(range(256)) * 4, "binary"), ("employees: []".encode("utf-16"), "UTF-16"),
            ("employees: []".encode("utf-32"), "UTF-32"), (b"employees: [\xff]\n", "UTF-8"),
            (b"\xc3\x28: 1\n", "UTF-8"), (b"employees: " + b"[" * 2000 + b"]" * 2000, "deeper"),
            (b"employees:" + b"\n- " * 1 + b"{a: " * 200 + b"1" + b"}" * 200, "deeper"),
            (b"!!python/object:os.system {}\n", "line 1"),
            (b"employees: !!binary aGVsbG8=\n", "employees"),
            (b"%YAML 9.9\n---\na: 1\n", "line"), (b"---\na: 1\n---\nb: 2\n", "line"),
            (b"employees: [" + b"{}," * 250_000 + b"]\n", "more than 200000 values")]):
        add(f"whole-{i}", raw, where)
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]"
              for i in range(8)]
    add("alias-bomb", ("\n".join(lines) + "\nemployees: *i\n").encode(), "aliases expand")
    add("alias-bomb-keys", ("\n".join(lines[:7]) + "\nschemes: [*g, *g]\n").encode(),
        "aliases expand")
    from .badinput_menus import menu_documents
    menu_documents(add)
    return docs


def cli_calls() -> list[Call]:
    """argv after `callctl` (the config option is added by the test)."""
    calls: list[Call] = []

    def add(name, where, *argv):
        calls.append(Call(name, tuple(argv), where))

    emp = ["employees", "add", "--name", "Carol White", "--email", "carol@example.com",
           "--extension", "150"]
    for i, value in enumerate(ODD_TEXT[:-1] + ["x" * 129, "ALICE SMITH", "alice  smith"]):
        add(f"employee-name-{i}", "full_name", *_swap(emp, "--name", value))
    for i, value in enumerate(["", "carol", "carol@", "@example.com", "carol@example.ru",
                               "ALICE@example.com", "a\nb@example.com", "c" * 300 + "@x.com"]):
        add(f"employee-email-{i}", "email", *_swap(emp, "--email", value))
    for i, value in enumerate(["", "1", "123456789", "10a", "*10", "101", "200", "\u0661\u0662"]):
        add(f"employee-extension-{i}", "extension", *_swap(emp, "--extension", value))
    for i, value in enumerate(["abc", "123", "+999123", "\u0665\u0665\u0665\u0660\u0661\u0669\u0669",
                               "+1555\n0100"]):
        add(f"employee-phone-{i}", "phone_numbers", *emp, "--phone", value)
        add(f"employee-other-{i}", "other_contacts", *emp, "--other", value)
    add("employee-department", "department", *emp, "--department", "Nope")
    add("employee-access", "--access", *emp, "--access", "root")
    add("employee-edit-unknown", "not found", "employees", "edit", "Nobody", "--extension", "150")
    add("employee-edit-email", "email", "employees", "edit", "Alice Smith", "--email",
        "new@example.com")
    add("employee-rename-dup", "full_name", "employees", "edit", "Bob Jones", "--rename",
        "ALICE SMITH")
    add("employee-show-unknown", "not found", "employees", "show", "Nobody")
    add("employee-delete-unknown", "not found", "employees", "delete", "Nobody")
    add("employee-delete-used", "still used", "employees", "delete", "Alice Smith")
    dep = ["departments", "add", "--name", "Support", "--extension", "300"]
    for i, value in enumerate(["", "a\nb", "SALES", "x" * 129, "\u200bSupport"]):
        add(f"department-name-{i}", "name", *_swap(dep, "--name", value))
    add("department-extension", "extension", *_swap(dep, "--extension", "101"))
    add("department-delete-used", "still used", "departments", "delete", "Sales")
    for i, value in enumerate(["", "a b", "ALICE", "x" * 41, "al/ice", "\u00e4lice"]):
        add(f"sip-login-{i}", "login", "sip", "add", "--login", value)
    add("sip-employee", "employee", "sip", "add", "--employee", "Nobody")
    add("sip-edit-unknown", "not found", "sip", "edit", "ghost", "--pc")
    num = ["numbers", "add", "--number", "+15550111", "--employee", "Bob Jones"]
    for i, value in enumerate(["", "abc", "123", "+15550100", "(555) 0100", "+999123",
                               "\u0665\u0665\u0665"]):
        add(f"number-{i}", "number", *_swap(num, "--number", value))
    add("number-employee", "employee", *_swap(num, "--employee", "Nobody"))
    for i, value in enumerate(["0", "601", "-1"]):
        add(f"number-timeout-{i}", "ring_timeout", *num, "--ring-timeout", value)
    add("number-timeout-text", "--ring-timeout", *num, "--ring-timeout", "ten")
    for i, value in enumerate(["Nobody", "+15550111", "123"]):
        add(f"number-fallback-{i}", "fallback", *num, "--fallback", value)
    add("number-edit-unknown", "not found", "numbers", "edit", "+15559999", "--ring-timeout",
        "10")
    add("scheme-show-unknown", "no such scheme", "schemes", "show", "Nope")
    add("scheme-assign-number", "not a company number", "schemes", "assign", "+15559999", "Day")
    add("scheme-assign-scheme", "no such scheme", "schemes", "assign", "+15550100", "Nope")
    add("scheme-copy-dup", "already", "schemes", "copy", "Day", "DAY")
    add("scheme-copy-bad", "the copy's name", "schemes", "copy", "Day", "a\nb")
    add("scheme-delete-used", "still used", "schemes", "delete", "Day")
    add("scheme-add-missing", "cannot read", "schemes", "add", "no-such-file.yaml")
    add("scheme-coverage-png", "--png", "schemes", "coverage", "Day", "--png",
        "no-such-dir/x.png")
    sim = ["simulate", "--number", "+15550100", "--caller", "+15557654321", "--at",
           "2026-11-26 10:00"]
    for i, value in enumerate(["", "abc", "\u0661\u0662\u0663"]):
        add(f"simulate-number-{i}", "--number", *_swap(sim, "--number", value))
        add(f"simulate-caller-{i}", "--caller", *_swap(sim, "--caller", value))
    for i, value in enumerate(["", "tomorrow", "2026-13-01 10:00", "2026-11-26 25:00"]):
        add(f"simulate-at-{i}", "--at", *_swap(sim, "--at", value))
    add("tokens-unknown", "Nobody", "tokens", "create", "Nobody")
    add("project-import-missing", "cannot read", "project", "import", "no-such-file.yaml")
    from .badinput_menus import menu_cli_calls
    menu_cli_calls(add)
    return calls


def _swap(argv: list[str], option: str, value: str) -> list[str]:
    out = list(argv)
    out[out.index(option) + 1] = value
    return out


def api_requests() -> list[Request]:
    reqs: list[Request] = []

    def add(name, method, path, body, where):
        raw = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        reqs.append(Request(name, method, path, raw, where))

    good = {"full_name": "Carol White", "email": "carol@example.com", "extension": "150"}
    for key in ("full_name", "email", "extension"):
        for i, value in enumerate(WRONG_TYPES + ODD_TEXT[:-1] + [HUGE]):
            add(f"employee-{key}-{i}", "POST", "/employees", {**good, key: value}, key)
        add(f"employee-{key}-missing", "POST", "/employees",
            {k: v for k, v in good.items() if k != key}, key)
    for key, value in [("phone_numbers", ["abc"]), ("phone_numbers", "+15550177"),
                       ("phone_numbers", ["\u0665\u0665\u0665"]), ("other_contacts", ["x@y"]),
                       ("department", "Nope"), ("access_level", "root"), ("online", "yes"),
                       ("full_name", "ALICE SMITH"), ("full_name", "Alice\u00a0Smith"),
                       ("salary", 1)]:
        add(f"employee-{key}-{str(value)[:12]!r}", "POST", "/employees", {**good, key: value},
            key)
    for i, raw in enumerate([b"", b"{", b"[1, 2]", b'"text"', b"null", b"\xff\xfe\x00",
                             "{}".encode("utf-16"), b"[" * 50_000 + b"]" * 50_000,
                             b'{"full_name": "\\ud800"}', b'{"\\udc00": 1}']):
        add(f"employee-body-{i}", "POST", "/employees", raw, "body" if i < 8 else "")
    add("employee-patch-email", "PATCH", "/employees/Alice%20Smith",
        {"email": "new@example.com"}, "email")
    add("employee-patch-unknown", "PATCH", "/employees/Nobody", {"online": False}, "Nobody")
    add("employee-patch-name", "PATCH", "/employees/Bob%20Jones", {"full_name": "a\nb"},
        "full_name")
    add("employee-delete-used", "DELETE", "/employees/Alice%20Smith", None, "still used")
    add("employee-delete-force-flag", "DELETE", "/employees/Alice%20Smith?force=maybe", None,
        "force")
    for key, value in [("name", ""), ("name", "SALES"), ("name", "a\u202eb"), ("name", 5),
                       ("extension", "101"), ("extension", 300), ("extension", "3 0 0")]:
        add(f"department-{key}-{value!r}"[:60], "POST", "/departments",
            {"name": "Support", "extension": "300", key: value}, key)
    for value in ["ALICE", "a b", "", "x" * 41, 5]:
        add(f"sip-login-{value!r}"[:40], "POST", "/sip-accounts", {"login": value}, "login")
    add("sip-employee", "POST", "/sip-accounts", {"employee": "Nobody"}, "employee")
    num = {"number": "+15550111", "employee": "Bob Jones"}
    for key, value in [("number", "abc"), ("number", "+15550100"), ("number", "(555) 0100"),
                       ("number", 15550111), ("employee", None), ("employee", "Nobody"),
                       ("ring_timeout", True), ("ring_timeout", 0), ("ring_timeout", 601),
                       ("ring_timeout", "20"), ("fallback", "Nobody"), ("fallback", "+15550111")]:
        add(f"number-{key}-{value!r}"[:60], "POST", "/numbers", {**num, key: value}, key)
    scheme = BASE["schemes"][0]
    for path, value in [(("kind",), "random"), (("name",), "a\nb"), (("name",), "DAY"),
                        (("branches",), []), (("branches", 0, "name"), "x" * 200),
                        (("branches", 0, "schedule", "hours"), ["18:01-08:59"]),
                        (("branches", 0, "blocks", 0, "timeout"), True),
                        (("branches", 0, "blocks", 0, "directions", 0), {"employee": "Nobody"}),
                        (("branches", 0, "blocks", 0, "directions", 1),
                         {"phone_number": "\u0665\u0665\u0665"}),
                        (("branches", 0, "blocks", 0, "directions", 1), {"sip_uri": "a@" + HUGE})]:
        add(f"scheme-{_label(path)}", "POST", "/schemes", _set(scheme, path, value),
            "scheme" if path[0] != "kind" else "kind")
    add("scheme-put-other-name", "PUT", "/schemes/Day", {**scheme, "name": "Night"}, "name")
    add("scheme-copy-bad", "POST", "/schemes/Day/copy", {"new_name": "a\nb"}, "copy")
    add("assign-unknown-number", "PUT", "/numbers/%2B15559999/scheme", {"scheme": "Day"},
        "number")
    add("assign-unknown-scheme", "PUT", "/numbers/%2B15550100/scheme", {"scheme": "Nope"},
        "scheme")
    from .badinput_menus import menu_api_requests
    menu_api_requests(add)
    return reqs
