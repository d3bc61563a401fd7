"""Outgoing calls in the project document (`outgoing:`): caller-ID rules and barred
SIP accounts, through the OutgoingService (the same checks as the CLI and the API).

    outgoing:
      rules:
        - {company: true, number: "+15550100"}
        - {employee: Alice Smith, prefix: "+380", number: "+380441234567"}
        - {sip_account: alice, prefix: "+48", number: "+48221234567"}
      barred: [bob-desk]

A rule is identified by its owner and prefix: a listed one is added or its number changed.
Rules and bans the document does not list are kept (and listed) unless --prune.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..domain.names import shown
from ..domain.outgoing import SCOPES
from ..domain.phones import BadNumber, to_e164
from ..outgoing.service import OutgoingError
from .document import ProjectError, Reading, duplicates

RULE_KEYS = set(SCOPES) | {"number", "prefix"}


@dataclass
class Wanted:
    rules: list[tuple[str, str, str, str, str]]  # scope, owner, prefix, number, where
    barred: list[str] | None  # None: the document does not say


@dataclass
class Plan:
    wanted: Wanted
    add: list = field(default_factory=list)  # rules to add or change
    drop: list[dict] = field(default_factory=list)  # stored rules the document leaves out
    bar: list[str] = field(default_factory=list)
    unbar: list[str] = field(default_factory=list)
    prune: bool = False


class OutgoingSection:
    keys = ("outgoing",)

    def read(self, given: dict, r: Reading) -> Wanted:
        raw, problems = given["outgoing"], []
        if not isinstance(raw, dict) or set(raw) - {"rules", "barred"}:
            raise ProjectError(f"{r.at('outgoing')}: must be a mapping with rules: [...] and "
                               f"barred: [...], got {shown(raw, 40)}")
        rules = []
        for i, item in enumerate(raw.get("rules") or []):
            where = r.at("outgoing", "rules", i)
            try:
                rules.append((*_rule(item, r.country), where))
            except ValueError as exc:
                problems.append(f"{where}: {exc}")
        barred = raw.get("barred")
        if barred is not None and (not isinstance(barred, list)
                                   or not all(isinstance(x, str) for x in barred)):
            problems.append(f"{r.at('outgoing', 'barred')}: must be a list of SIP logins")
        problems += duplicates([((s, o, p), w, f"the rule for {s} {o!r} {p or 'everywhere'}")
                                for s, o, p, _, w in rules], r)
        if problems:
            raise ProjectError("\n".join(problems))
        return Wanted(rules, barred)

    def export(self, services) -> dict:
        rules = [{**({r["scope"]: r["owner"]} if r["scope"] != "company" else
                     {"company": True}), **({"prefix": r["prefix"]} if r["prefix"] else {}),
                  "number": r["number"]} for r in services.outgoing.list_rules()]
        barred = services.outgoing.list_bans()
        return {"outgoing": {"rules": rules, "barred": barred}} if rules or barred else {}

    def plan(self, services, wanted: Wanted, prune: bool) -> Plan:
        stored = {(r["scope"], r["owner"] or "", r["prefix"] or ""): r
                  for r in services.outgoing.list_rules()}
        keys = {(s, o, p) for s, o, p, _, _ in wanted.rules}
        plan = Plan(wanted, prune=prune)
        plan.add = [w for w in wanted.rules if stored.get(w[:3], {}).get("number") != w[3]]
        plan.drop = [r for k, r in stored.items() if k not in keys]
        if wanted.barred is not None:
            now = set(services.outgoing.list_bans())
            plan.bar = sorted(set(wanted.barred) - now)
            plan.unbar = sorted(now - set(wanted.barred))
        return plan

    def lines(self, plan: Plan) -> list[str]:
        out = [f"+ caller-ID rule {s} {o or ''} {p or 'every destination'} -> {n}".replace(
            "  ", " ") for s, o, p, n, _ in plan.add]
        out += [f"+ barred: {x}" for x in plan.bar]
        what = "-" if plan.prune else "= kept, not in the document (--prune deletes it):"
        out += [f"{what} caller-ID rule {r['id']} ({r['scope']} {r['owner'] or ''} "
                f"{r['prefix'] or 'every destination'} -> {r['number']})" for r in plan.drop]
        out += [f"{what} barred: {x}" for x in plan.unbar]
        return out

    def retract(self, services, plan: Plan) -> list:
        if plan.prune:
            for r in plan.drop:
                services.outgoing.delete_rule(r["id"])
            for login in plan.unbar:
                services.outgoing.unbar(login)
        return []

    def apply(self, services, plan: Plan) -> list:
        for scope, owner, prefix, number, where in plan.add:
            try:
                services.outgoing.add_rule(scope, owner or None, number, prefix or None, True)
            except OutgoingError as exc:
                raise ProjectError(f"{where}: {exc}") from None
        for login in plan.bar:
            try:
                services.outgoing.bar(login)
            except LookupError as exc:
                raise ProjectError(f"outgoing.barred: {exc.args[0]}") from None
        return []

    def verify(self, services, plan: Plan) -> None:
        pass


def _rule(item, country: str) -> tuple[str, str, str, str]:
    if not isinstance(item, dict) or set(item) - RULE_KEYS:
        raise ValueError(f"a rule is {{<scope>: owner, number: ..., prefix: ...}} with scope "
                         f"one of {', '.join(SCOPES)}, got {shown(item, 40)}")
    scopes = [s for s in SCOPES if s in item]
    if len(scopes) != 1:
        raise ValueError(f"name exactly one owner: {', '.join(SCOPES)}")
    scope = scopes[0]
    owner = "" if scope == "company" else item[scope]
    if scope == "company" and item["company"] is not True:
        raise ValueError("company: write `company: true`")
    if scope != "company" and (not isinstance(owner, str) or not owner.strip()):
        raise ValueError(f"{scope}: the owner's name or login, as text")
    prefix = item.get("prefix") or ""
    if not isinstance(prefix, str) or prefix and not prefix.startswith("+"):
        raise ValueError(f"prefix {shown(prefix)}: text with its +, e.g. '+380'")
    try:
        number = to_e164(item.get("number"), country)
    except BadNumber as exc:
        raise ValueError(f"number: {exc}") from None
    return scope, owner.strip(), prefix, number


OUTGOING = OutgoingSection()
