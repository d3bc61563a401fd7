"""`callctl outgoing rules add|list|delete`, `callctl outgoing bar|unbar|bans`, and
`callctl simulate --from LOGIN --dial NUMBER` (which rule an outside call takes, and why).
Refusals exit 2 naming what is wrong and change nothing."""
from __future__ import annotations

import argparse

from ..cliout import EXIT_OK, print_json, print_table, refuse
from ..domain.directory import ALL_REACHABLE
from ..domain.outgoing import SCOPES, outside_number, plan_dialled
from .service import NotFound, OutgoingError


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("outgoing", help="outgoing calls: caller-ID rules, barred accounts")
    actions = parser.add_subparsers(dest="action", required=True)
    rules = actions.add_parser("rules", help="which company number outside calls show")
    rule_actions = rules.add_subparsers(dest="rule_action", required=True)
    add = rule_actions.add_parser("add", parents=[common], help="add a caller-ID rule")
    owner = add.add_mutually_exclusive_group(required=True)
    for scope in SCOPES[:-1]:
        owner.add_argument(f"--{scope.replace('_', '-')}", dest=scope, metavar="NAME",
                           help=f"the rule is for this {scope.replace('_', ' ')}")
    owner.add_argument("--company", action="store_true", help="the rule is for everyone")
    add.add_argument("--number", required=True, help="the company number to show")
    add.add_argument("--prefix", help="only for destinations starting so, e.g. +380 "
                                      "(default: every destination)")
    add.add_argument("--replace", action="store_true",
                     help="overwrite the owner's rule for that prefix")
    rule_actions.add_parser("list", parents=[common], help="every caller-ID rule")
    rule_actions.add_parser("delete", parents=[common], help="delete a rule by its id"
                            ).add_argument("id", type=int)
    actions.add_parser("bar", parents=[common], help="bar a SIP account from outside calls"
                       ).add_argument("login")
    actions.add_parser("unbar", parents=[common], help="let a SIP account call out again"
                       ).add_argument("login")
    actions.add_parser("bans", parents=[common], help="the barred SIP accounts")


def run(args: argparse.Namespace, service) -> int:
    try:
        out, text = _do(args, service)
    except (OutgoingError, NotFound) as exc:
        head = "callctl:" if args.action == "list" else "callctl: refused, nothing changed:"
        return refuse(str(exc.args[0]), as_json=args.json, head=head, entity="outgoing")
    if args.json:
        return print_json(out)
    if isinstance(text, list):
        print_table(["ID", "SCOPE", "OWNER", "PREFIX", "NUMBER"], text, empty="no rules")
    else:
        print(text)
    return EXIT_OK


def _do(args, service):
    if args.action == "rules":
        if args.rule_action == "add":
            scope = "company" if args.company else next(s for s in SCOPES[:-1]
                                                       if getattr(args, s))
            out = service.add_rule(scope, None if args.company else getattr(args, scope),
                                   args.number, args.prefix, args.replace)
            return out, f"rule {out['id']}: {_rule(out)}"
        if args.rule_action == "delete":
            out = service.delete_rule(args.id)
            return out, f"rule {out['id']} deleted ({_rule(out)})"
        out = service.list_rules()
        return out, [[r["id"], r["scope"], r["owner"], r["prefix"] or "every destination",
                      r["number"]] for r in out]
    if args.action == "bans":
        out = service.list_bans()
        return out, "\n".join(out) or "no SIP account is barred"
    out = service.bar(args.login) if args.action == "bar" else service.unbar(args.login)
    verb = "is barred from" if out["barred"] else "may make"
    return out, f"SIP account {args.login} {verb} outside calls"


def _rule(r: dict) -> str:
    who = "the company" if r["scope"] == "company" else f"{r['scope']} {r['owner']!r}"
    return f"{who}: {r['prefix'] or 'every destination'} -> {r['number']}"


def simulate_outgoing(args, cfg, services) -> int:
    """Which rule a staff phone's outside call takes (and why), or why it is not placed."""
    from datetime import datetime, timezone

    from ..domain.catalog import Catalog
    if not (args.from_ and args.dial):
        return refuse("an outgoing call needs both --from LOGIN and --dial NUMBER",
                      as_json=args.json, field="dial" if args.from_ else "from")
    directory = services.directory.snapshot()
    if args.from_ not in {a.login for a in directory.sip_accounts}:
        return refuse(f"--from {args.from_!r}: no such SIP account", as_json=args.json,
                      field="from")
    catalog, policy = Catalog(directory), services.outgoing.policy()
    number = outside_number(args.dial, catalog, cfg.project.country)
    result = plan_dialled(args.from_, args.dial, catalog, policy, ALL_REACHABLE,
                          datetime.now(timezone.utc), cfg.project.timezone)
    if args.json:
        from ..schemes.cli import describe_step
        return print_json({"from": args.from_, "dial": args.dial, "outside_number": number,
                           "trace": list(result.trace), "steps": [
                               describe_step(s, cfg.pbx.trunk_endpoint)
                               for s in result.steps]})
    if number is None:
        print(f"{args.dial} is not an outside number: the call stays inside the company")
    print(result.format_trace())
    return EXIT_OK
