"""`callctl menus|voicemail|queues add|list|show|delete|route|unroute` (and `queues
status|report`): IVR menus, voicemail boxes and call queues, and company numbers served
by them.

Both are YAML documents (see docs/ivr-and-voicemail.md); refusals exit 2 with every
problem named and change nothing.
"""
from __future__ import annotations

import argparse

import yaml

from .. import yamldoc
from ..cliout import EXIT_OK, print_json, refuse
from .service import NotFound, RoutingError, RoutingService

COMMANDS = {"menus": ("ivr", "IVR menu"), "voicemail": ("voicemail", "voicemail box"),
            "queues": ("queue", "queue")}


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
        if command == "queues":
            actions.add_parser("status", parents=[common], help="who waits and for how "
                               "long, each operator's state").add_argument("name")
            rep = actions.add_parser("report", parents=[common], help="offered, answered, "
                                     "abandoned, waits, service level, per operator")
            rep.add_argument("name")
            rep.add_argument("--since", help="YYYY-MM-DD (default: today), project time zone")
            rep.add_argument("--until", help="YYYY-MM-DD, exclusive")


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
        elif args.action == "status":
            out = service.queue_status(args.name)
            text = _status_text(out)
        elif args.action == "report":
            out = service.queue_report(args.name, *_period(args))
            text = _report_text(out)
        elif args.action == "route":
            out = service.route(args.number, kind, args.name)
            text = f"number {args.number} is served by {what} {out['target']!r}"
        else:
            out = service.unroute(args.number)
            was = out["previous"]
            text = f"number {args.number} rings its employee" + (
                f" (was {was['kind']} {was['target']!r})" if was else " (as before)")
    except (RoutingError, NotFound, yamldoc.DocumentError, ValueError) as exc:
        head = "callctl: refused, nothing changed:" if args.action != "show" else "callctl:"
        return refuse(str(exc.args[0] if exc.args else exc), as_json=args.json, head=head,
                      entity=what)
    if args.json:
        return print_json(out)
    print(text)
    return EXIT_OK


def _period(args) -> tuple:
    """--since/--until as aware datetimes in the project's zone (today by default)."""
    from datetime import date, datetime, time, timedelta
    from zoneinfo import ZoneInfo
    zone = ZoneInfo(args.timezone)

    def day(text: str, flag: str) -> datetime:
        try:
            return datetime.combine(date.fromisoformat(text), time(), zone)
        except ValueError:
            raise ValueError(f"{flag} {text!r}: write it as YYYY-MM-DD") from None
    since = day(args.since, "--since") if args.since else \
        datetime.combine(datetime.now(zone).date(), time(), zone)
    until = day(args.until, "--until") if args.until else since + timedelta(days=36500)
    return since, until


def _status_text(out: dict) -> str:
    lines = [f"queue {out['queue']!r} ({out['strategy']}): {len(out['waiting'])} waiting"]
    lines += [f"  {w['position']}. {w['caller']}  waiting {w['waiting_seconds']:.0f} s"
              for w in out["waiting"]]
    lines += [f"  operator {o['operator']}: {o['state']}" for o in out["operators"]]
    return "\n".join(lines)


def _report_text(r: dict) -> str:
    sl = "-" if r["service_level"] is None else f"{r['service_level']:.0%}"
    lines = [f"queue {r['queue']!r}: offered {r['offered']}, answered {r['answered']}, "
             f"abandoned {r['abandoned']}, left or timed out {r['timed_out_or_left']}",
             f"  wait: average {r['wait_avg_seconds']} s, 90th percentile "
             f"{r['wait_p90_seconds']} s; answered within {r['service_level_seconds']} s: {sl}"]
    lines += [f"  {o['operator']}: answered {o['answered']}, talk {o['talk_seconds']} s"
              for o in r["operators"]]
    return "\n".join(lines)
