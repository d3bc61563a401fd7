"""Voicemail boxes (`voicemail:`) and IVR menus (`menus:`): lists of the very documents
`callctl voicemail add` and `callctl menus add` take.

Menus and schemes may lead to each other (press 1 for the Sales scheme, whose night
branch comes back to the menu), so neither can always be saved first with what it names
checked. The import therefore writes menus and boxes without that check, and checks the
whole catalog once everything is written: `retract` deletes the menus and boxes that go
or change (before the directory and prompt sections delete what only their old versions
named), `apply` saves the new and changed ones (after the prompts and the people they
name, before the schemes that walk them), and `verify` refuses the import if any menu or
box names something that does not exist, naming its file and line. The import runs in one
transaction, so a refusal leaves the database as it was.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..domain.ivr import menu_to_dict
from ..domain.names import name_key, shown
from ..domain.queue import queue_to_dict
from ..domain.voicemail import box_to_dict
from ..routing.service import KINDS, RoutingError, parse
from .document import ProjectError, Reading, duplicates

# document key -> routing kind, in the order they are exported (boxes and queues first:
# menus lead to them)
KEYS = {"voicemail": "voicemail", "queues": "queue", "menus": "ivr"}
KEY_OF = {kind: key for key, kind in KEYS.items()}


@dataclass
class Plan:
    current: dict[str, dict[str, dict]]  # key -> name -> stored document
    final: dict[str, dict[str, dict]]  # key -> name -> the document there will be
    where: dict[tuple[str, str], str]  # (kind, name) -> "file, line N: menus[0] ('Main')"
    kept: dict[str, list[str]] = field(default_factory=dict)  # not listed, not pruned


class MenusSection:
    keys = tuple(KEYS)

    def read(self, given: dict, r: Reading) -> tuple[dict, dict]:
        """({key: {name: normalised document}}, where) for the keys the document has."""
        wanted, where, problems = {}, {}, []
        for key, raw in given.items():
            kind, what = KEYS[key], KINDS[KEYS[key]][0]
            if not isinstance(raw, list):
                raise ProjectError(f"{r.at(key)}: must be a list (write [] for none), got "
                                   f"{shown(raw, 40)}")
            wanted[key], names = {}, []
            for i, doc in enumerate(raw):
                try:
                    item = parse(kind, doc)
                except RoutingError as exc:
                    problems += [f"{r.at(key, i)}: {line}" for line in str(exc).splitlines()]
                    continue
                at = f"{r.at(key, i)} ({shown(item.name, 40)})"
                wanted[key][item.name] = KINDS[kind][2](item)
                where[(kind, item.name)] = at
                names.append((name_key(item.name), at, f"{what} {item.name!r}"))
            problems += duplicates(names, r)
        if problems:
            raise ProjectError("\n".join(problems))
        return wanted, where

    def export(self, services) -> dict:
        stored = services.routing.snapshot()  # sorted by name
        return {"voicemail": [box_to_dict(b) for b in stored.boxes.values()],
                "queues": [queue_to_dict(q) for q in stored.queues.values()],
                "menus": [menu_to_dict(m) for m in stored.menus.values()]}

    def plan(self, services, wanted: tuple[dict, dict], prune: bool) -> Plan:
        given, where = wanted
        current = {key: {doc["name"]: doc for doc in docs}
                   for key, docs in self.export(services).items()}
        final, kept = {}, {}
        for key, stored in current.items():
            if key not in given:
                final[key] = dict(stored)  # a section left out is left as it is
                continue
            final[key] = dict(given[key]) if prune else {**stored, **given[key]}
            kept[key] = sorted(n for n in stored if n in final[key] and n not in given[key])
        return Plan(current, final, where, kept)

    def lines(self, plan: Plan) -> list[str]:
        out = []
        for key in KEYS:
            now, then = plan.current[key], plan.final[key]
            out += [f"- {key} {n}" for n in sorted(now) if n not in then]
            out += [f"~ {key} {n}" for n in sorted(then) if n in now and then[n] != now[n]]
            out += [f"+ {key} {n}" for n in sorted(then) if n not in now]
            if plan.kept.get(key):
                out.append(f"= {key} kept, not in the document (--prune deletes them): "
                           + ", ".join(plan.kept[key]))
        return out

    def retract(self, services, plan: Plan) -> list:
        for key, kind in KEYS.items():
            for name, doc in plan.current[key].items():
                if plan.final[key].get(name) != doc:
                    services.routing.delete(kind, name, check=False)
        return []

    def apply(self, services, plan: Plan) -> list:
        stored = {key: {doc["name"]: doc for doc in docs}
                  for key, docs in self.export(services).items()}
        for key, kind in KEYS.items():
            for name, doc in sorted(plan.final[key].items()):
                if stored[key].get(name) != doc:
                    try:
                        services.routing.save(kind, doc, check=False)
                    except RoutingError as exc:  # e.g. another spelling of a kept name
                        raise ProjectError(f"{plan.where.get((kind, name), key)}: {exc}") \
                            from None
        return []

    def verify(self, services, plan: Plan) -> None:
        problems = [f"{plan.where.get((kind, name), KEY_OF.get(kind))}: {message}"
                    for kind, name, message in services.routing.problems() if kind in KEY_OF]
        if problems:
            raise ProjectError("\n".join(problems))
        got = self.export(services)
        for key, kind in KEYS.items():
            stored = {doc["name"]: doc for doc in got[key]}
            for name, doc in plan.final[key].items():
                if stored.get(name) != doc:
                    # someone it names was renamed by the document, and it followed
                    raise ProjectError(f"{plan.where.get((kind, name), key)}: the document "
                                       f"contradicts itself (it names something the "
                                       f"document renames or deletes)")


MENUS = MenusSection()
