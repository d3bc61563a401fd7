"""Forwarding schemes (`schemes:`) and what serves each company number (`assignments:`:
`number: scheme name`, or `number: {ivr: MENU}` / `number: {voicemail: BOX}`).

A stored scheme may name people the document deletes, and a wanted one people it adds, so
the import runs in two halves around the directory's own steps: `retract` first takes
numbers off what serves them when that changes, and deletes every scheme that goes or
changes (without the usual "still walked" check: a scheme walking it, or a menu leading to
it, is either saved again or reported by `verify`), and `apply`, after the directory and
the menus, checks the wanted schemes together (so a loop between two new schemes is
reported as a loop), saves them (walked ones first), and points the numbers, putting back
those of schemes that were only re-saved. `verify` then checks the whole catalog.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..domain.catalog import ROUTE_KINDS
from ..domain.names import BadName, clean_name, name_key, shown
from ..domain.phones import BadNumber, to_e164
from ..domain.scheme import SchemeError, scheme_from_dict, scheme_to_dict, validate
from ..routing.service import NotFound, RoutingError
from ..schemes.service import parse_scheme
from .document import ProjectError, Reading, duplicates

# What serves a number, as the document writes it: a scheme's name, or {ivr: MENU} /
# {voicemail: BOX}; None: nothing (the number rings its employee).
Served = str | dict | None


@dataclass
class Wanted:
    schemes: dict[str, dict] | None  # name -> normalised document; None: section absent
    assign: dict[str, Served] | None  # number -> what serves it
    where: dict[str, str] = field(default_factory=dict)  # scheme/number -> "file, line N"


@dataclass
class Plan:
    current: dict[str, dict]
    assigned: dict[str, Served]
    final: dict[str, dict]  # the schemes there will be
    final_assign: dict[str, Served]
    gone: list[str]
    kept: list[str]
    where: dict[str, str]
    explicit: set[str] = field(default_factory=set)  # numbers the document assigns
    written: set[str] = field(default_factory=set)  # schemes the document has


class SchemesSection:
    keys = ("schemes", "assignments")

    def read(self, given: dict, r: Reading) -> Wanted:
        wanted, problems = Wanted(None, None), []
        if "schemes" in given:
            raw = given["schemes"]
            if not isinstance(raw, list):
                raise ProjectError(f"{r.at('schemes')}: must be a list (write [] for none), "
                                   f"got {shown(raw, 40)}")
            wanted.schemes, keys = {}, []
            for i, doc in enumerate(raw):
                try:
                    scheme = parse_scheme(doc, r.country)
                except SchemeError as exc:
                    problems += [f"{r.at('schemes', i)}: {p}" for p in exc.problems]
                    continue
                where = f"{r.at('schemes', i)} ({shown(scheme.name, 40)})"
                wanted.schemes[scheme.name] = scheme_to_dict(scheme)
                wanted.where[scheme.name] = where
                keys.append((name_key(scheme.name), where, f"scheme {scheme.name!r}"))
            problems += duplicates(keys, r)
        if "assignments" in given:
            raw = given["assignments"]
            if not isinstance(raw, dict):
                raise ProjectError(f"{r.at('assignments')}: must be a mapping of number: "
                                   f"scheme (write {{}} for none), got {shown(raw, 40)}")
            wanted.assign, keys = {}, []
            for number, served in raw.items():
                where = r.at("assignments", number)
                try:
                    e164 = to_e164(number, r.country)
                    wanted.assign[e164] = _served(served)
                except (BadNumber, ValueError) as exc:
                    problems.append(f"{where}: {exc}")
                    continue
                wanted.where[e164] = where
                keys.append((e164, where, f"number {e164}"))
            problems += duplicates(keys, r)
        if problems:
            raise ProjectError("\n".join(problems))
        return wanted

    def export(self, services) -> dict:
        rows = services.schemes.list_schemes()  # sorted by name
        served: dict[str, Served] = {n: row["name"] for row in rows for n in row["numbers"]}
        served.update((n, {d.kind: d.target})
                      for n, d in services.routing.snapshot().routes.items())
        return {"schemes": [services.schemes.get_scheme(row["name"]) for row in rows],
                "assignments": dict(sorted(served.items()))}

    def plan(self, services, wanted: Wanted, prune: bool) -> Plan:
        now = self.export(services)
        current = {doc["name"]: doc for doc in now["schemes"]}
        assigned = now["assignments"]
        final, renamed = dict(current), {}
        if wanted.schemes is not None:
            if prune:
                final = {}
            for name, doc in wanted.schemes.items():
                for old in [n for n in final if name_key(n) == name_key(name) and n != name]:
                    renamed[old] = name  # the same scheme, its name written differently
                    del final[old]
                final[name] = doc
        # A scheme's numbers follow it when the document spells its name differently, and
        # are taken off it when it goes. (A menu or box that goes is reported by `verify`
        # while a number is still served by it: deleting it is refused elsewhere too.)
        final_assign = {number: renamed.get(s, s) if isinstance(s, str) else s
                        for number, s in assigned.items()
                        if not isinstance(s, str) or renamed.get(s, s) in final}
        if wanted.assign is not None:
            if prune:
                final_assign = {}
            for number, served in wanted.assign.items():
                if served is None:
                    final_assign.pop(number, None)
                else:
                    final_assign[number] = served
        kept = sorted(n for n in current if n in final and wanted.schemes is not None
                      and n not in wanted.schemes)
        gone = sorted(n for n in current if n not in final)
        return Plan(current, assigned, final, final_assign, gone, kept, wanted.where,
                    set(wanted.assign or ()), set(wanted.schemes or ()))

    def lines(self, plan: Plan) -> list[str]:
        out = [f"- schemes {n}" for n in plan.gone]
        out += [f"~ schemes {n}" for n in sorted(plan.final)
                if n in plan.current and plan.final[n] != plan.current[n]]
        out += [f"+ schemes {n}" for n in sorted(plan.final) if n not in plan.current]
        out += [f"~ assignments {number}: {plan.assigned.get(number)!r} -> "
                f"{plan.final_assign.get(number)!r}"
                for number in sorted(set(plan.assigned) | set(plan.final_assign))
                if plan.assigned.get(number) != plan.final_assign.get(number)]
        if plan.kept:
            out.append("= schemes kept, not in the document (--prune deletes them): "
                       + ", ".join(plan.kept))
        return out

    def retract(self, services, plan: Plan) -> list:
        doomed = {n for n, doc in plan.current.items() if plan.final.get(n) != doc}
        for number, served in plan.assigned.items():
            if plan.final_assign.get(number) != served or (
                    isinstance(served, str) and served in doomed):
                services.routing.unroute(number)
        for name in sorted(doomed):
            services.schemes.delete_scheme(name, force=True, check=False)
        return []

    def apply(self, services, plan: Plan) -> list:
        schemes = services.schemes
        stored = {name: parsed for name, parsed in schemes.snapshot()[0].items()}
        missing = {n for n in plan.final if n not in stored}
        parsed = {n: scheme_from_dict(plan.final[n]) for n in sorted(missing)}
        # Every scheme to save, checked at once against the directory as it now is: a
        # loop between two new schemes is a loop, not "no such scheme".
        routing = services.routing.snapshot()
        problems = [p for p in validate({**stored, **parsed}, services.directory.snapshot(),
                                        menus=routing.menus, boxes=routing.boxes,
                                        queues=routing.queues) if p.scheme in missing]
        if problems:
            raise ProjectError("\n".join(f"{plan.where.get(p.scheme, 'schemes')}: {p}"
                                         for p in problems))
        walks = {n: _walked(doc) for n, doc in plan.final.items()}
        for name in _walked_first(missing, walks):
            try:
                schemes.save_scheme(plan.final[name])
            except SchemeError as exc:
                raise ProjectError("\n".join(f"{plan.where.get(name, 'schemes')}: {p}"
                                             for p in exc.problems)) from None
        numbers = {n["number"] for n in services.directory.list_numbers()}
        # A number the directory section deleted took its assignment with it.
        plan.final_assign = {n: s for n, s in plan.final_assign.items()
                             if n in numbers or n in plan.explicit}
        now = self.export(services)["assignments"]
        for number, served in sorted(plan.final_assign.items()):
            if now.get(number) != served:
                kind, target = _route(served)
                try:
                    services.routing.route(number, kind, target)
                except (NotFound, RoutingError) as exc:
                    raise ProjectError(f"{plan.where.get(number, 'assignments')}: "
                                       f"{exc.args[0]}") from None
        return []

    def verify(self, services, plan: Plan) -> None:
        problems = [f"{plan.where.get(name, 'schemes')}: {message}"
                    for kind, name, message in services.routing.problems()
                    if kind in ("scheme", "number")]
        if problems:  # e.g. a kept scheme walks a menu the document deletes
            raise ProjectError("\n".join(problems))
        got = self.export(services)
        stored = {d["name"]: d for d in got["schemes"]}
        for name in sorted(plan.written):
            if stored.get(name) != plan.final[name]:
                # a person it names was deleted (--prune) and taken out of the scheme
                raise ProjectError(f"{plan.where[name]}: the document contradicts itself (the "
                                   "scheme names something the document deletes)")
        if set(stored) != set(plan.final) \
                or got["assignments"] != dict(sorted(plan.final_assign.items())):
            # not expected: the steps apply all of it or refuse
            raise ProjectError("schemes: the import did not produce what the document says")


def _served(value) -> Served:
    """What serves a number, as written: a scheme's name, {ivr: MENU}, {voicemail: BOX},
    {queue: QUEUE}, {scheme: NAME} (written back as the plain name) or null; ValueError
    saying how."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (kind, target), = value.items()
        if kind in ROUTE_KINDS and isinstance(target, str):
            try:
                target = clean_name(target)
            except BadName as exc:
                raise ValueError(f"{kind}: {exc}") from None
            return target if kind == "scheme" else {kind: target}
    kinds = ", ".join(f"{{{kind}: NAME}}" for kind in ROUTE_KINDS if kind != "scheme")
    raise ValueError(f"write a scheme's name, or one of {kinds} (or null for nothing), got "
                     f"{shown(value, 40)}")


def _route(served: Served) -> tuple[str, str]:
    return ("scheme", served) if isinstance(served, str) else next(iter(served.items()))


def _walked(doc: dict) -> set[str]:
    """The schemes a stored document walks (its `scheme` directions)."""
    return {d["scheme"] for br in doc["branches"] for bl in br["blocks"]
            for d in bl["directions"] if "scheme" in d}


def _walked_first(names: set[str], walks: Mapping[str, set[str]]) -> list[str]:
    """`names` ordered so that a scheme comes after those it walks."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for target in sorted(walks.get(name, ())):
            if target in names:
                visit(target)
        order.append(name)

    for name in sorted(names):
        visit(name)
    return order


SCHEMES = SchemesSection()
