"""`callctl menus|voicemail add|list|show|delete|route|unroute`: IVR menus and voicemail
boxes, and company numbers served by them.

Both are YAML documents (see docs/ivr-and-voicemail.md); refusals exit 2 with every
problem named and change nothing.
"""
from __future__ import annotations

import argparse

import yaml

from .. import yamldoc
from ..cliout import EXIT_OK, print_json, refuse
from .service import NotFound, RoutingError, RoutingService

COMMANDS = {"menus": ("ivr", "IVR menu"), "voicemail": ("voicemail", "voicemail box")}


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    for command, (_, what) in COMMANDS.items():
        parser = sub.add_parser(command, help=f"{what}s: YAML documents that schemes and "
                                              f"numbers can point at")
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", parents=[common], help=f"save a {what} from a YAML file")
        add.add_argument("file")
        add.add_argument("--replace", action="store_true", help=f"overwrite a {what} of that name")
        actions.add_parser("list", parents=[common], help=f"every {what} and its numbers")
        actions.add_parser("show", parents=[common], help=f"a {what} as YAML, and where it is "
                                                          f"used").add_argument("name")
        actions.add_parser("delete", parents=[common], help=f"delete an unused {what}"
                           ).add_argument("name")
        route = actions.add_parser("route", parents=[common],
                                   help=f"let a company number be served by a {what}")
        route.add_argument("number")
        route.add_argument("name")
        actions.add_parser("unroute", parents=[common], help="let a company number ring its "
                           "employee again, whatever served it").add_argument("number")


def run(args: argparse.Namespace, service: RoutingService) -> int:
    kind, what = COMMANDS[args.command]
    try:
        if args.action == "add":
            doc = yamldoc.read(args.file).data
            out = service.save(kind, doc, replace=args.replace)
            text = f"{what} {out['name']!r} {'replaced' if out['replaced'] else 'saved'}"
        elif args.action == "list":
            out = service.list(kind)
            text = "\n".join(f"{r['name']}  numbers: {', '.join(r['numbers']) or '-'}"
                             for r in out) or f"no {what}s"
        elif args.action == "show":
            out = service.show(kind, args.name)
            text = yaml.safe_dump(out, sort_keys=False, allow_unicode=True).rstrip()
        elif args.action == "delete":
            out = service.delete(kind, args.name)
            text = f"{what} {args.name!r} deleted"
        elif args.action == "route":
            out = service.route(args.number, kind, args.name)
            text = f"number {args.number} is served by {what} {out['target']!r}"
        else:
            out = service.unroute(args.number)
            was = out["previous"]
            text = f"number {args.number} rings its employee" + (
                f" (was {was['kind']} {was['target']!r})" if was else " (as before)")
    except (RoutingError, NotFound, yamldoc.DocumentError) as exc:
        head = "callctl: refused, nothing changed:" if args.action != "show" else "callctl:"
        return refuse(str(exc.args[0] if exc.args else exc), as_json=args.json, head=head,
                      entity=what)
    if args.json:
        return print_json(out)
    print(text)
    return EXIT_OK
