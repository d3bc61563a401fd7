"""`callctl clients ...` (client cards, their leads, contacts and deals), `callctl tasks
...` (call-backs of missed calls) and `callctl crm users|map|unmap` (employees as users of
an external CRM). Refusals exit 2 naming the field and change nothing."""
from __future__ import annotations

import argparse

from ..cliout import EXIT_OK, print_json, print_record, print_table, refuse
from ..store.crm_models import ENTITY_KINDS, STATES
from .service import CrmError, NotFound


def _card_options(p: argparse.ArgumentParser, name_required: bool) -> None:
    p.add_argument("--name", required=name_required)
    p.add_argument("--phone", action="append", dest="phones", metavar="NUMBER",
                   help="repeat for several (on edit: the new list)")
    p.add_argument("--email", action="append", dest="emails", metavar="ADDRESS")
    for field in ("company", "address", "comment"):
        p.add_argument(f"--{field}")


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    clients = sub.add_parser("clients", help="client cards of the built-in CRM")
    actions = clients.add_subparsers(dest="action", required=True)
    _card_options(actions.add_parser("add", parents=[common], help="a new client card"), True)
    actions.add_parser("find", parents=[common], help="cards by phone, name, company or "
                       "address").add_argument("text")
    actions.add_parser("show", parents=[common], help="a card with its leads, contacts, "
                       "deals and tasks").add_argument("id", type=int)
    edit = actions.add_parser("edit", parents=[common], help="change fields of a card")
    edit.add_argument("id", type=int)
    _card_options(edit, False)
    actions.add_parser("delete", parents=[common], help="delete a card").add_argument(
        "id", type=int)
    entity = actions.add_parser("entity", parents=[common],
                                help="add a lead, contact or deal to a card")
    entity.add_argument("id", type=int, help="the client card")
    entity.add_argument("--kind", required=True, choices=ENTITY_KINDS)
    entity.add_argument("--title")
    entity.add_argument("--responsible", metavar="EMPLOYEE")
    entity.add_argument("--state", choices=STATES, default="open")
    state = actions.add_parser("entity-state", parents=[common],
                               help="open or close a lead, contact or deal")
    state.add_argument("entity_id", type=int)
    state.add_argument("state", choices=STATES)

    tasks = sub.add_parser("tasks", help="tasks of the built-in CRM (call-backs)")
    task_actions = tasks.add_subparsers(dest="action", required=True)
    listing = task_actions.add_parser("list", parents=[common], help="open tasks by deadline")
    listing.add_argument("--all", action="store_true", help="done ones too")
    listing.add_argument("--employee")
    task_actions.add_parser("done", parents=[common], help="mark a task done").add_argument(
        "id", type=int)

    crm = sub.add_parser("crm", help="employees as users of an external CRM")
    crm_actions = crm.add_subparsers(dest="action", required=True)
    crm_actions.add_parser("users", parents=[common], help="CRM user id -> employee")
    mapping = crm_actions.add_parser("map", parents=[common], help="CRM user id is EMPLOYEE")
    mapping.add_argument("crm_user_id")
    mapping.add_argument("employee")
    crm_actions.add_parser("unmap", parents=[common], help="forget a CRM user id"
                           ).add_argument("crm_user_id")


def run(args: argparse.Namespace, service) -> int:
    try:
        out = ACTIONS[(args.command, args.action)](args, service)
    except (CrmError, NotFound) as exc:
        reading = args.action in ("find", "show", "list", "users")
        return refuse(str(exc.args[0]), as_json=args.json, entity=args.command,
                      head="callctl:" if reading else "callctl: refused, nothing changed:",
                      field=getattr(exc, "field", None))
    if args.json:
        return print_json(out)
    if isinstance(out, list):
        if args.command == "tasks":
            print_table(["ID", "DUE", "RESPONSIBLE", "TITLE", "DONE"],
                        [[t["id"], t["due_at"][:16], t["responsible"], t["title"], t["done"]]
                         for t in out], empty="no tasks")
        else:
            print_table(["ID", "NAME", "COMPANY", "PHONES"],
                        [[c["id"], c["name"], c["company"], c["phones"]] for c in out],
                        empty="no client card matches")
    else:
        print_record({k: v for k, v in out.items() if k not in ("entities", "tasks")})
        for key in ("entities", "tasks"):
            for item in out.get(key, []):
                print(f"{key[:-1] if key == 'tasks' else item['kind']} {item['id']}: "
                      f"{item['title']} ({item.get('state') or ('done' if item['done'] else 'open')}"
                      f", {item['responsible'] or 'nobody'})")
    return EXIT_OK


def _card(args) -> dict:
    fields = ("name", "phones", "emails", "company", "address", "comment")
    return {f: getattr(args, f) for f in fields if getattr(args, f) is not None}


ACTIONS = {
    ("clients", "add"): lambda a, s: s.add_client(**_card(a)),
    ("clients", "find"): lambda a, s: s.search(a.text),
    ("clients", "show"): lambda a, s: s.get_client(a.id),
    ("clients", "edit"): lambda a, s: s.edit_client(a.id, **_card(a)),
    ("clients", "delete"): lambda a, s: s.delete_client(a.id),
    ("clients", "entity"): lambda a, s: s.add_entity(a.id, a.kind, a.title or a.kind,
                                                     a.responsible, a.state),
    ("clients", "entity-state"): lambda a, s: s.edit_entity(a.entity_id, state=a.state),
    ("tasks", "list"): lambda a, s: s.list_tasks(not a.all, a.employee),
    ("tasks", "done"): lambda a, s: s.finish_task(a.id),
    ("crm", "users"): lambda a, s: s.users(),
    ("crm", "map"): lambda a, s: s.map_user(a.crm_user_id, a.employee),
    ("crm", "unmap"): lambda a, s: s.unmap_user(a.crm_user_id),
}
