"""Forwarding schemes (`schemes:`) and which number walks which (`assignments:`).

A stored scheme may name people the document deletes, and a wanted one people it adds, so
the import runs in two halves around the directory's own steps: `retract` first unassigns
numbers and deletes every scheme that goes or changes (plus any scheme walking one of
those: a walked scheme cannot be deleted), and `apply`, after the directory steps, checks
the wanted schemes together (so a loop between two new schemes is reported as a loop),
saves them (walked ones first), and assigns the numbers, putting back the assignments of
schemes that were only re-saved.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..domain.names import name_key, shown
from ..domain.phones import BadNumber, to_e164
from ..domain.scheme import SchemeError, scheme_from_dict, scheme_to_dict, validate
from ..schemes.service import NotFound, parse_scheme
from .document import ProjectError, Reading, duplicates


@dataclass
class Wanted:
    schemes: dict[str, dict] | None  # name -> normalised document; None: section absent
    assign: dict[str, str | None] | None  # number -> scheme (None: no scheme)
    where: dict[str, str] = field(default_factory=dict)  # scheme/number -> "file, line N"


@dataclass
class Plan:
    current: dict[str, dict]
    assigned: dict[str, str]
    final: dict[str, dict]  # the schemes there will be
    final_assign: dict[str, str]
    gone: list[str]
    kept: list[str]
    where: dict[str, str]
    explicit: set[str] = field(default_factory=set)  # numbers the document assigns
    written: set[str] = field(default_factory=set)  # schemes the document has
    doomed: set[str] = field(default_factory=set)  # deleted by retract, maybe saved again
    saved: set[str] = field(default_factory=set)


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
            for number, scheme in raw.items():
                where = r.at("assignments", number)
                try:
                    e164 = to_e164(number, r.country)
                except BadNumber as exc:
                    problems.append(f"{where}: {exc}")
                    continue
                if scheme is not None and not isinstance(scheme, str):
                    problems.append(f"{where}: the scheme's name must be text (or null for "
                                    f"none), got {shown(scheme, 40)}")
                    continue
                wanted.assign[e164] = scheme
                wanted.where[e164] = where
                keys.append((e164, where, f"number {e164}"))
            problems += duplicates(keys, r)
        if problems:
            raise ProjectError("\n".join(problems))
        return wanted

    def export(self, services) -> dict:
        rows = services.schemes.list_schemes()  # sorted by name
        assigned = {number: row["name"] for row in rows for number in row["numbers"]}
        return {"schemes": [services.schemes.get_scheme(row["name"]) for row in rows],
                "assignments": dict(sorted(assigned.items()))}

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
        final_assign = {number: renamed.get(s, s) for number, s in assigned.items()
                        if renamed.get(s, s) in final}
        if wanted.assign is not None:
            if prune:
                final_assign = {}
            for number, scheme in wanted.assign.items():
                if scheme is None:
                    final_assign.pop(number, None)
                else:
                    final_assign[number] = scheme
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
        schemes = services.schemes
        doomed = {n for n, doc in plan.current.items() if plan.final.get(n) != doc}
        walks = {n: _walked(doc) for n, doc in plan.current.items()}
        while True:
            walkers = {n for n, targets in walks.items() if targets & doomed} - doomed
            if not walkers:
                break
            doomed |= walkers
        for number, name in plan.assigned.items():
            if plan.final_assign.get(number) != name or name in doomed:
                schemes.unassign(number)
        for name in reversed(_walked_first(doomed, walks)):  # walkers before what they walk
            schemes.delete_scheme(name, force=True)
        plan.doomed = doomed
        return []

    def apply(self, services, plan: Plan) -> list:
        schemes = services.schemes
        stored = {name: parsed for name, parsed in schemes.snapshot()[0].items()}
        missing = {n for n in plan.final if n not in stored}
        parsed = {n: scheme_from_dict(plan.final[n]) for n in sorted(missing)}
        # Every scheme to save, checked at once against the directory as it now is: a
        # loop between two new schemes is a loop, not "no such scheme".
        problems = [p for p in validate({**stored, **parsed}, services.directory.snapshot())
                    if p.scheme in missing]
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
        plan.saved = missing
        numbers = {n["number"] for n in services.directory.list_numbers()}
        # A number the directory section deleted took its assignment with it.
        plan.final_assign = {n: s for n, s in plan.final_assign.items()
                             if n in numbers or n in plan.explicit}
        now = schemes.snapshot()[1]
        for number, name in sorted(plan.final_assign.items()):
            if now.get(number) != name:
                try:
                    schemes.assign(number, name)
                except (NotFound, SchemeError) as exc:
                    message = exc.args[0] if isinstance(exc, NotFound) else str(exc)
                    raise ProjectError(f"{plan.where.get(number, 'assignments')}: "
                                       f"{message}") from None
        return []

    def verify(self, services, plan: Plan) -> None:
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
