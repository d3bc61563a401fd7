"""`callctl schemes add|list|show|copy|delete|assign|unassign|coverage` and `callctl simulate`.

Refusals exit 2 with the message (scheme, branch, block) on stderr and change nothing.
`simulate` plans with the daemon's own planner, so what it prints is what a call would do.
"""
from __future__ import annotations

import argparse
import dataclasses
from datetime import datetime

from ..cliout import EXIT_OK, print_json, print_table, refuse
from ..domain.directory import ALL_REACHABLE, Directory, Presence
from ..domain.fallback import fallback_targets
from ..domain.flow import Announce, Menu, Ring, Voicemail
from ..domain.outgoing import DialOut
from ..domain.remote import Webhook
from ..domain.ivr import DIGITS
from ..domain.names import shown
from ..domain.phones import BadNumber, to_e164
from ..domain.planner import plan_number
from ..domain.schedule import zone
from ..pbx.dial import dial_all, dial_string
from ..domain.scheme import SchemeError
from ..routing.simulate import MAX_DIGITS, walk_digits
from .service import SchemeService

CHANGES = ("add", "copy", "delete", "assign", "unassign")
AT_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M")


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("schemes", help="forwarding schemes: branches by working hours, "
                                            "blocks of directions with timeouts")
    actions = parser.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", parents=[common], help="save a scheme from a YAML file")
    add.add_argument("file")
    add.add_argument("--replace", action="store_true", help="overwrite a scheme of that name")
    actions.add_parser("list", parents=[common], help="every scheme and its numbers")
    actions.add_parser("show", parents=[common], help="a scheme as YAML").add_argument("name")
    copy = actions.add_parser("copy", parents=[common], help="duplicate a scheme")
    copy.add_argument("name")
    copy.add_argument("new_name")
    delete = actions.add_parser("delete", parents=[common], help="delete an unused scheme")
    delete.add_argument("name")
    delete.add_argument("--force", action="store_true",
                        help="also detach the numbers assigned it")
    assign = actions.add_parser("assign", parents=[common],
                                help="point a company number at a scheme")
    assign.add_argument("number")
    assign.add_argument("name")
    actions.add_parser("unassign", parents=[common], help="the number rings its employee "
                       "target again").add_argument("number")
    cov = actions.add_parser("coverage", parents=[common],
                             help="the minutes of the week no branch covers")
    cov.add_argument("name")
    cov.add_argument("--png", metavar="FILE", help="also draw the week: days, hours, which "
                     "branch takes each minute, the gaps in red")

    sim = sub.add_parser("simulate", parents=[common],
                         help="walk a number's scheme for a call, or show which caller-ID "
                              "rule a staff phone's outside call takes, without a PBX")
    sim.add_argument("--number", help="the company number dialled")
    sim.add_argument("--caller", help="the caller's number")
    sim.add_argument("--at", metavar='"YYYY-MM-DD HH:MM"',
                     help="arrival time, local to the project's time zone")
    sim.add_argument("--from", dest="from_", metavar="LOGIN",
                     help="a staff phone's SIP login (with --dial: an outgoing call)")
    sim.add_argument("--dial", metavar="NUMBER", help="what the staff phone dials")
    sim.add_argument("--assume-all-reachable", action="store_true",
                     help="treat every employee as online and every SIP account as "
                          "registered (default: the database's state)")
    sim.add_argument("--digits", metavar="KEYS", help="keys the caller presses in the menus "
                     "the call meets, in order, e.g. 2,1")
    sim.add_argument("--sticky-employee", metavar="NAME",
                     help="pretend the caller talked to NAME earlier today (default, when "
                          "the project's sticky option is on: whom the call log says)")


def run(args: argparse.Namespace, cfg, services) -> int:
    """`services`: the wired directory and scheme services (callctl/project/services.py)."""
    from ..directory.errors import DirectoryError
    service = services.schemes
    try:
        if args.command == "simulate" and (args.from_ or args.dial) is not None:
            from ..outgoing.cli import simulate_outgoing
            return simulate_outgoing(args, cfg, services)
        if args.command == "simulate":
            missing = [f"--{o}" for o in ("number", "caller", "at") if getattr(args, o) is None]
            if missing:
                return refuse(f"simulate needs {', '.join(missing)} (or --from and --dial "
                              f"for an outgoing call)", as_json=args.json, field=missing[0][2:])
            return simulate(args, cfg, services.directory, service, services.routing)
        if args.action == "coverage":
            return _coverage(args, service, cfg.project.timezone)
        return ACTIONS[args.action](args, service)
    except (SchemeError, LookupError, DirectoryError) as err:
        head = "callctl: refused, nothing changed:" if args.command == "schemes" \
            and args.action in CHANGES else "callctl:"
        # One problem a line: `validate` reports everything wrong at once.
        message = str(err.args[0] if isinstance(err, LookupError) else err)
        problems = [str(p) for p in err.problems] if isinstance(err, SchemeError) else []
        return refuse(message, as_json=args.json, head=head, entity="scheme",
                      **({"problems": problems} if problems else {}))


# ---- schemes --------------------------------------------------------------------------

def _add(args, service: SchemeService) -> int:
    from .. import yamldoc
    try:
        doc = yamldoc.read(args.file).data
    except yamldoc.DocumentError as exc:
        return refuse(str(exc), as_json=args.json, head="callctl: refused, nothing changed:",
                      entity="scheme")
    saved = service.save_scheme(doc, replace=args.replace)
    if args.json:
        return _json(saved)
    print(f"scheme {saved['name']!r} {'replaced' if saved['replaced'] else 'saved'} "
          f"({saved['kind']}, {saved['branches']} branch{'es' * (saved['branches'] != 1)})")
    return _coverage_notes(service, saved["name"])


def _list(args, service: SchemeService) -> int:
    rows = service.list_schemes()
    if args.json:
        return _json(rows)
    print_table(["NAME", "KIND", "BRANCHES", "NUMBERS"],
                [[r["name"], r["kind"], r["branches"], r["numbers"]] for r in rows])
    return EXIT_OK


def _show(args, service: SchemeService) -> int:
    doc = service.get_scheme(args.name)
    numbers = sorted(n for n, s in service.snapshot()[1].items() if s == args.name)
    if args.json:
        return _json({**doc, "numbers": numbers})
    import yaml
    print(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), end="")
    print(f"# numbers: {', '.join(numbers) or 'none'}")
    return 0


def _copy(args, service: SchemeService) -> int:
    saved = service.copy_scheme(args.name, args.new_name)
    if args.json:
        return _json(saved)
    print(f"scheme {args.name!r} copied to {saved['name']!r} (no numbers assigned yet)")
    return 0


def _delete(args, service: SchemeService) -> int:
    done = service.delete_scheme(args.name, force=args.force)
    if args.json:
        return _json(done)
    print(f"scheme {args.name!r} deleted")
    for line in done["detached"]:
        print(f"detached: {line}")
    return 0


def _assign(args, service: SchemeService) -> int:
    done = service.assign(args.number, args.name)
    if args.json:
        return _json(done)
    was = f" (was {done['previous']!r})" if done["previous"] not in (None, args.name) else ""
    print(f"number {args.number} -> scheme {args.name!r}{was}")
    return 0


def _unassign(args, service: SchemeService) -> int:
    done = service.unassign(args.number)
    if args.json:
        return _json(done)
    if done["previous"] is None:
        print(f"number {args.number} had no scheme")
    else:
        print(f"number {args.number}: scheme {done['previous']!r} detached; it rings its "
              f"employee target")
    return 0


def _coverage(args, service: SchemeService, timezone: str) -> int:
    if args.png:
        try:  # matplotlib loads only for the picture, and is an extra
            from .coverage_png import coverage_png
        except ImportError as exc:
            return refuse(f"--png needs matplotlib ({exc}): pip install 'callctl[plot]'",
                          as_json=args.json, field="png")
        try:
            coverage_png(service.scheme(args.name), args.png, timezone)
        except OSError as exc:
            return refuse(f"--png {args.png}: cannot write: {exc.strerror or exc}",
                          as_json=args.json, field="png")
    if args.json:
        return _json({"scheme": args.name, "uncovered": service.coverage(args.name),
                      "overlaps": service.overlaps(args.name), "png": args.png})
    _coverage_notes(service, args.name)
    if args.png:
        print(f"picture written to {args.png}")
    return 0


def _coverage_notes(service: SchemeService, name: str) -> int:
    for line in service.coverage(name) or ["every minute of the week is covered"]:
        print(line)
    for line in service.overlaps(name):
        print(f"note: {line}")
    return 0


ACTIONS = {"add": _add, "list": _list, "show": _show, "copy": _copy, "delete": _delete,
           "assign": _assign, "unassign": _unassign}


def _json(obj) -> int:
    return print_json(obj)


# ---- simulate -------------------------------------------------------------------------

def simulate(args, cfg, directory, service: SchemeService, routing) -> int:
    from ..routing.service import catalog_from
    tz = cfg.project.timezone
    local = _parse_at(args.at)
    if local is None:
        return refuse(f"--at {args.at!r}: write it as \"YYYY-MM-DD HH:MM\" (local time in "
                      f"{tz})", as_json=args.json, field="at")
    for option in ("number", "caller"):
        try:
            setattr(args, option, to_e164(getattr(args, option), cfg.project.country))
        except BadNumber as exc:
            return refuse(f"--{option}: {exc}", as_json=args.json, field=option)
    digits = [d for d in (args.digits or "").replace(",", "") if not d.isspace()]
    if any(d not in DIGITS for d in digits) or len(digits) > MAX_DIGITS:
        return refuse(f"--digits {shown(args.digits, 40)}: keys are 0-9, * and #, at most "
                      f"{MAX_DIGITS}, e.g. --digits 2,1", as_json=args.json, field="digits")
    at = local.replace(tzinfo=zone(tz))
    snapshot = directory.snapshot()
    if args.assume_all_reachable:
        presence = ALL_REACHABLE
        snapshot = _everyone_online(snapshot)
    else:
        presence = Presence(frozenset(a["login"] for a in directory.list_sip_accounts()
                                      if a["reg_state"] == "online"))
    catalog = catalog_from(snapshot, service.snapshot(), routing.snapshot())
    head = f"call from {args.caller} to {args.number} at {local:%a %Y-%m-%d %H:%M} ({tz})"
    sticky = args.sticky_employee  # a what-if wins over what the call log says
    if sticky is None and cfg.project.sticky and args.number in catalog.routes:
        from ..store.calls import CallLog
        from ..store.db import make_engine, sessions
        midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
        sticky = CallLog(sessions(make_engine(cfg.database.url))).sticky_employee(
            args.caller, midnight)
    result = plan_number(args.number, catalog, presence, at, tz, sticky)
    menus = walk_digits(result, catalog, presence, at, tz, digits)
    fallback = None
    if result.uncovered:
        target = snapshot.number(args.number)
        dial = dial_all(fallback_targets(snapshot, args.number), cfg.pbx.trunk_endpoint)
        who = target and (target.fallback or target.employee)
        fallback = f"fallback: {who} ({dial})" if who and dial else \
            "the number has no fallback: not in service"
    if args.json:
        return _json({"call": head, "scheme": result.scheme, "branch": result.branch,
                      "trace": list(result.trace), "menus": menus, "fallback": fallback,
                      "steps": [describe_step(step, cfg.pbx.trunk_endpoint)
                                for step in result.steps]})
    print(head)
    print(result.format_trace())
    for line in menus + ([fallback] if fallback else []):
        print(line)
    return EXIT_OK


def describe_step(step, trunk: str) -> dict:
    """A step as JSON: its kind and what it does (dial strings as Asterisk would use)."""
    if isinstance(step, Ring):
        return {"ring": [dial_string(t, trunk) for t in step.targets], "timeout": step.timeout}
    if isinstance(step, Menu):
        return {"menu": step.menu.name, "timeout": step.timeout}
    if isinstance(step, Voicemail):
        return {"voicemail": step.box.name, "greeting": str(step.greeting)}
    if isinstance(step, Announce):
        return {"announce": str(step.prompt), "cause": step.cause}
    if isinstance(step, DialOut):
        return {"dial_out": dial_string(step.target, trunk), "caller_id": step.caller_id,
                "rule": step.rule, "timeout": step.timeout}
    if isinstance(step, Webhook):
        return {"webhook": step.name, "timeout": step.timeout}
    return {"crm_manager": list(step.order), "timeout": step.timeout}

def _parse_at(text: str) -> datetime | None:
    for fmt in AT_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    return None


def _everyone_online(directory: Directory) -> Directory:
    return dataclasses.replace(directory, employees=tuple(
        dataclasses.replace(e, online=True) for e in directory.employees))
