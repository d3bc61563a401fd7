"""`callctl employees|departments|sip|numbers add|list|show|edit|delete`: the directory from
the command line, over the same service as the HTTP API."""
from __future__ import annotations

import argparse

from ..cliout import EXIT_OK, print_json, print_record, print_table, refuse
from .errors import DirectoryError

# entity -> (service method stem, identifying argument, columns of the list table)
ENTITIES = {
    "employees": ("employee", "name", ["full_name", "extension", "department", "access_level",
                                       "online", "email", "sip_accounts"]),
    "departments": ("department", "name", ["name", "extension", "members"]),
    "sip": ("sip_account", "login", ["login", "employee", "on_pc", "on_mobile", "reg_state",
                                     "reg_contact"]),
    "numbers": ("number", "number", ["number", "employee", "ring_timeout", "fallback"]),
}


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    emp = _entity(sub, common, "employees", "staff with extensions and contacts")
    _employee_fields(emp["add"], creating=True)
    _employee_fields(emp["edit"], creating=False)
    emp["edit"].add_argument("--email", help=argparse.SUPPRESS)  # refused with a reason

    dep = _entity(sub, common, "departments", "departments with their own extension")
    dep["add"].add_argument("--name", required=True)
    dep["add"].add_argument("--extension", required=True)
    dep["edit"].add_argument("--rename", dest="new_name")
    dep["edit"].add_argument("--extension")

    sip = _entity(sub, common, "sip", "SIP accounts (generated login and password)")
    sip["add"].add_argument("--employee")
    sip["add"].add_argument("--login", help="default: generated")
    for p in (sip["add"], sip["edit"]):
        p.add_argument("--pc", dest="on_pc", action=argparse.BooleanOptionalAction,
                       help="softphone on a PC")
        p.add_argument("--mobile", dest="on_mobile", action=argparse.BooleanOptionalAction,
                       help="softphone on a mobile")
    sip["edit"].add_argument("--employee")
    sip["edit"].add_argument("--reset-password", action="store_true")

    num = _entity(sub, common, "numbers", "company numbers (DIDs) and where they ring")
    for p, creating in ((num["add"], True), (num["edit"], False)):
        if creating:
            p.add_argument("--number", required=True)
        p.add_argument("--employee", required=creating)
        p.add_argument("--ring-timeout", type=int)
        p.add_argument("--fallback", help="an employee's name or a phone number")


def _entity(sub, common, name: str, text: str) -> dict[str, argparse.ArgumentParser]:
    parser = sub.add_parser(name, help=text)
    actions = parser.add_subparsers(dest="action", required=True)
    ident = ENTITIES[name][1]
    made = {"add": actions.add_parser("add", parents=[common]),
            "list": actions.add_parser("list", parents=[common])}
    for action in ("show", "edit", "delete"):
        made[action] = actions.add_parser(action, parents=[common])
        made[action].add_argument(ident)
    made["delete"].add_argument("--force", action="store_true",
                                help="detach it from everything that still uses it")
    return made


def _employee_fields(p: argparse.ArgumentParser, creating: bool) -> None:
    if creating:
        p.add_argument("--name", required=True, dest="full_name")
        p.add_argument("--email", required=True)
        p.add_argument("--extension", required=True)
        p.add_argument("--sip", action="store_true", help="also create a SIP account")
    else:
        p.add_argument("--rename", dest="new_name")
        p.add_argument("--extension")
    p.add_argument("--department")
    p.add_argument("--access", dest="access_level", choices=["admin", "manager", "operator"])
    p.add_argument("--phone", dest="phone_numbers", action="append",
                   help="a primary phone number (repeat for more)")
    p.add_argument("--other", dest="other_contacts", action="append",
                   help="another contact, only used to recognise calls (repeat for more)")
    p.add_argument("--online", action=argparse.BooleanOptionalAction)
    p.add_argument("--call-waiting", action=argparse.BooleanOptionalAction,
                   help="ring them for a new call while they are on one (default: no, a "
                        "busy employee is skipped)")


def run(args: argparse.Namespace, service) -> int:
    """Runs one directory command; returns the exit code. Refusals exit 2, change nothing."""
    stem, ident, columns = ENTITIES[args.command]
    fields = _fields(args)
    try:
        if args.action == "list":
            rows = getattr(service, f"list_{stem}s")()
            if args.json:
                return print_json(rows)
            shown = [c for c in columns if any(c in r for r in rows)] or columns
            print_table([c.upper() for c in shown], [[r.get(c) for c in shown] for r in rows])
            return EXIT_OK
        if args.action == "show":
            obj = getattr(service, f"get_{stem}")(getattr(args, ident))
            return print_json(obj) if args.json else (print_record(obj) or EXIT_OK)
        if args.action == "add":
            want_sip = fields.pop("sip", False)
            result = getattr(service, f"add_{stem}")(**fields)
            results = [result]
            if want_sip:
                results.append(service.add_sip_account(employee=result.object["full_name"]))
                result.object = service.get_employee(result.object["full_name"])  # now with it
        elif args.action == "edit":
            if "new_name" in fields:
                fields["full_name" if stem == "employee" else "name"] = fields.pop("new_name")
            results = [getattr(service, f"edit_{stem}")(getattr(args, ident), **fields)]
        else:
            delete = getattr(service, f"delete_{stem}")
            results = [delete(getattr(args, ident), force=args.force)]
    except DirectoryError as err:
        extra = {"usages": err.usages} if err.usages else {}
        return refuse(str(err), as_json=args.json, head="callctl: refused:",
                      entity=err.entity, field=err.field, **extra)
    # A running daemon notices the change within a second and pushes it to Asterisk.
    if args.json:
        docs = [r.as_dict() for r in results]
        return print_json(docs[0] if len(docs) == 1 else docs)
    for result in results:
        print_record(result.object)
        if result.secret:
            print(f"password: {result.secret}   (shown once: give it to the phone's owner)")
        for line in [*result.messages, *(f"detached: {d}" for d in result.detached or ())]:
            print(line)
    return EXIT_OK


def _fields(args: argparse.Namespace) -> dict:
    skip = {"command", "action", "config", "json", "force", "name", "login", "number_arg"}
    ident = ENTITIES[args.command][1]
    fields = {k: v for k, v in vars(args).items()
              if k not in skip and k != ident and v is not None}
    if args.action == "add" and args.command != "employees":
        for key in ("name", "login", "number"):
            if getattr(args, key, None) is not None:
                fields[key] = getattr(args, key)
    fields.pop("reset_password", None) if not getattr(args, "reset_password", False) else None
    if fields.get("department") == "":
        fields["department"] = None  # `--department ""` takes the employee out of theirs
    if "phone_numbers" in fields:
        fields["phone_numbers"] = tuple(fields["phone_numbers"])
    if "other_contacts" in fields:
        fields["other_contacts"] = tuple(fields["other_contacts"])
    return fields
