"""Everything routing is configured with, as one immutable snapshot, and the checks that
run across its parts (a menu naming a voicemail box, a number served by a menu...).

The daemon reloads a Catalog when the directory version changes; presence (who is
registered, who is busy) changes far more often and is passed beside it.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from .directory import Directory
from .ivr import MENU_ONLY_KINDS, IvrMenu
from .queue import CallQueue
from .scheme import Direction, Known, Scheme, direction_problem, validate
from .voicemail import VoicemailBox

ROUTE_KINDS = ("scheme", "ivr", "voicemail", "queue")  # what can serve a company number


@dataclass(frozen=True)
class Catalog:
    directory: Directory = field(default_factory=Directory)
    schemes: Mapping[str, Scheme] = field(default_factory=dict)
    menus: Mapping[str, IvrMenu] = field(default_factory=dict)
    boxes: Mapping[str, VoicemailBox] = field(default_factory=dict)
    routes: Mapping[str, Direction] = field(default_factory=dict)  # number -> what serves it
    queues: Mapping[str, CallQueue] = field(default_factory=dict)
    webhooks: Collection[str] | None = None  # configured ones (None: names not checked)

    def known(self) -> Known:
        return Known(self.directory, self.schemes, self.menus, self.boxes, self.queues,
                     self.webhooks)


def menu_problems(menu: IvrMenu, known: Known, prompts=None) -> list[str]:
    """What is wrong with a menu's references. `prompts`: uploaded prompt names (None: not
    checked)."""
    out = []
    for digit, d in menu.options:
        if d.kind not in MENU_ONLY_KINDS:
            message = direction_problem(d, known)
            if message:
                out.append(f"option {digit!r}: {message}")
    if menu.final is not None and (message := direction_problem(menu.final, known)):
        out.append(f"key 'final': {message}")
    out += _prompt_problems(menu.prompts(), prompts)
    return [f"menu {menu.name!r}: {p}" for p in out]


def box_problems(box: VoicemailBox, directory: Directory, prompts=None) -> list[str]:
    out = []
    departments = {d.name for d in directory.departments}
    for kind, target in box.notify:
        if kind == "employee" and directory.employee(target) is None:
            out.append(f"notify employee {target!r}: no such employee")
        elif kind == "department" and target not in departments:
            out.append(f"notify department {target!r}: no such department")
    if box.greeting is not None:
        out += _prompt_problems([box.greeting], prompts)
    return [f"voicemail box {box.name!r}: {p}" for p in out]


def queue_problems(queue: CallQueue, known: Known, prompts=None) -> list[str]:
    out = [f"operator {i}: {message}" for i, d in enumerate(queue.operators, 1)
           if (message := direction_problem(d, known))]
    out += _prompt_problems(queue.prompts(), prompts)
    return [f"queue {queue.name!r}: {p}" for p in out]


def _prompt_problems(prompts, uploaded) -> list[str]:
    if uploaded is None:
        return []
    return [f"prompt {p.name!r}: no such prompt (upload it first: callctl prompts add)"
            for p in prompts if p.source == "upload" and p.name not in uploaded]


def route_problem(number: str, route: Direction, catalog: Catalog) -> str | None:
    if route.kind not in ROUTE_KINDS:
        return f"number {number}: a number is served by a {', '.join(ROUTE_KINDS)}, " \
               f"not a {route.kind}"
    message = direction_problem(route, catalog.known())
    return f"number {number}: {message}" if message else None


def problems(catalog: Catalog, prompts=None) -> list[str]:
    """Everything wrong across the catalog, each naming where; empty when it is fine."""
    return [message for _, _, message in problems_by_item(catalog, prompts)]


def problems_by_item(catalog: Catalog, prompts=None) -> list[tuple[str, str, str]]:
    """The same as `problems`, each as (kind, name, message): kind scheme, ivr, voicemail,
    queue or number, so that a caller can say where it wrote that item (a file and line)."""
    known = catalog.known()
    out = [("scheme", p.scheme, str(p)) for p in validate(
        catalog.schemes, catalog.directory, menus=catalog.menus, boxes=catalog.boxes,
        queues=catalog.queues, webhooks=catalog.webhooks)]
    for menu in catalog.menus.values():
        out += [("ivr", menu.name, m) for m in menu_problems(menu, known, prompts)]
    for box in catalog.boxes.values():
        out += [("voicemail", box.name, m) for m in box_problems(box, catalog.directory,
                                                                  prompts)]
    for queue in catalog.queues.values():
        out += [("queue", queue.name, m) for m in queue_problems(queue, known, prompts)]
    for number, route in catalog.routes.items():
        if (message := route_problem(number, route, catalog)) is not None:
            out.append(("number", number, message))
    return out


def usages(catalog: Catalog, kind: str, name: str) -> list[str]:
    """Where a scheme, menu, voicemail box, employee, department or SIP account is named
    (kind as in directions: scheme, ivr, voicemail, employee, ...)."""
    out = [f"number {n} is served by it" for n, d in catalog.routes.items()
           if (d.kind, d.target) == (kind, name)]
    for scheme in catalog.schemes.values():
        for branch in scheme.branches:
            for i, block in enumerate(branch.blocks, 1):
                if any((d.kind, d.target) == (kind, name) for d in block.directions):
                    out.append(f"scheme {scheme.name!r}, branch {branch.name!r}, block {i}")
    for menu in catalog.menus.values():
        for digit, d in menu.options:
            if (d.kind, d.target) == (kind, name):
                out.append(f"menu {menu.name!r}, option {digit!r}")
        if menu.final is not None and (menu.final.kind, menu.final.target) == (kind, name):
            out.append(f"menu {menu.name!r}, final direction")
    if kind in ("employee", "department"):
        out += [f"voicemail box {b.name!r} notifies it" for b in catalog.boxes.values()
                if (kind, name) in b.notify]
    out += [f"queue {q.name!r}, operator {i}" for q in catalog.queues.values()
            for i, d in enumerate(q.operators, 1) if (d.kind, d.target) == (kind, name)]
    return out


def prompt_usages(catalog: Catalog, name: str) -> list[str]:
    """Where an uploaded prompt is played."""
    out = [f"menu {m.name!r}" for m in catalog.menus.values()
           if any(p.source == "upload" and p.name == name for p in m.prompts())]
    out += [f"voicemail box {b.name!r}" for b in catalog.boxes.values()
            if b.greeting is not None and b.greeting.source == "upload"
            and b.greeting.name == name]
    out += [f"queue {q.name!r}" for q in catalog.queues.values()
            if any(p.source == "upload" and p.name == name for p in q.prompts())]
    return out
