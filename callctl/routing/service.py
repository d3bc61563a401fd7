"""IVR menus and voicemail boxes over the database: save (validated against everything
they name), list, show, delete (refused while used), and what serves each company number
(a scheme, a menu, a box or a queue).

Written like SchemeService: each change runs in one transaction that first bumps the
directory version (so a running daemon reloads the catalog), then checks, then writes.
A refusal raises RoutingError naming every problem and changes nothing. The project
import alone saves and deletes with `check=False` (menus and schemes may lead to each
other, so one of them is written first) and then checks the whole catalog with
`problems()` before it commits.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from ..domain.catalog import (ROUTE_KINDS, Catalog, box_problems, menu_problems,
                              problems_by_item, prompt_usages, queue_problems, usages)
from ..domain.queue import QueueError, queue_from_dict, queue_to_dict, rename_in_queue
from ..domain.names import BadName, clean_name, name_key, shown
from ..domain.ivr import IvrMenu, MenuError, menu_from_dict, menu_to_dict, rename_in_menu
from ..domain.scheme import Direction, scheme_from_dict
from ..domain.voicemail import BoxError, VoicemailBox, box_from_dict, box_to_dict, \
    rename_in_box
from ..prompts.defaults import BY_KEY as DEFAULT_PROMPTS
from ..store.directory_models import PhoneNumber
from ..store.routing_models import NumberRoute, RoutingDocument
from ..store.scheme_models import SchemeAssignment, StoredScheme

KINDS = {"ivr": ("IVR menu", menu_from_dict, menu_to_dict),
         "voicemail": ("voicemail box", box_from_dict, box_to_dict),
         "queue": ("queue", queue_from_dict, queue_to_dict)}


class RoutingError(ValueError):
    """A refused change; str() lists every problem, each naming where it is."""


class Conflict(RoutingError):
    """A menu or box of that name exists already (save with replace)."""


class InUse(RoutingError):
    """Deleting something still used; `usages` says where."""

    def __init__(self, message: str, usages: list[str]):
        super().__init__(message)
        self.usages = usages


class NotFound(LookupError):
    pass


def _what(kind: str) -> str:
    if kind not in KINDS:
        raise RoutingError(f"kind {kind!r}: one of {', '.join(KINDS)}")
    return KINDS[kind][0]


def parse(kind: str, doc) -> IvrMenu | VoicemailBox:
    what, from_dict, _ = KINDS[kind]
    if not isinstance(doc, dict):
        raise RoutingError(f"{what}: must be a mapping of keys, got {shown(doc, 40)}")
    try:
        name = clean_name(doc.get("name"))
    except BadName as exc:
        raise RoutingError(f"{what}: key 'name': {exc}") from None
    try:
        item = from_dict({**doc, "name": name})
    except (MenuError, BoxError, QueueError) as exc:
        raise RoutingError(str(exc)) from None
    prompts = [item.greeting] if kind == "voicemail" else item.prompts()
    unknown = [p.name for p in prompts if p is not None and p.source == "default"
               and p.name not in DEFAULT_PROMPTS]
    if unknown:
        raise RoutingError(f"{what} {name!r}: prompt {{default: {shown(unknown[0], 40)}}}: no "
                           f"such default sound (one of {', '.join(DEFAULT_PROMPTS)})")
    return item


class RoutingService:
    def __init__(self, sessions: sessionmaker, directory_service, *,
                 prompt_names: Callable[[], set[str]] | None = None,
                 webhooks: Collection[str] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        """`prompt_names()`: the uploaded prompts menus and boxes may play; `webhooks`: the
        configured webhooks their keys may lead to (either None: not checked)."""
        self._sessions, self._directory, self._clock = sessions, directory_service, clock
        self._prompt_names, self._webhooks = prompt_names, webhooks

    # ---- changes ------------------------------------------------------------------------

    def save(self, kind: str, doc, replace: bool = False, check: bool = True) -> dict:
        """Create (or with `replace`, overwrite) the menu or box `doc` describes.
        `check=False` (the project import only) skips checking what it names."""
        what = _what(kind)
        item = parse(kind, doc)
        with self._change() as s:
            row = _row(s, kind, item.name)
            if row is not None and row.name != item.name:
                raise Conflict(f"{what} {item.name!r}: another {what} already has this name "
                               f"({row.name!r})")
            if row is not None and not replace:
                raise Conflict(f"{what} {item.name!r}: already exists (save it with replace "
                               f"to overwrite it)")
            if check:
                catalog = _with(_catalog(s, self._directory.snapshot(), self._webhooks), kind, item)
                prompts = self._prompt_names() if self._prompt_names is not None else None
                problems = (menu_problems(item, catalog.known(), prompts) if kind == "ivr"
                            else queue_problems(item, catalog.known(), prompts)
                            if kind == "queue"
                            else box_problems(item, catalog.directory, prompts))
                if problems:
                    raise RoutingError("\n".join(problems))
            now = self._clock()
            if row is None:
                row = RoutingDocument(kind=kind, name=item.name, created_at=now)
                s.add(row)
            row.document, row.updated_at = KINDS[kind][2](item), now
            return {"kind": kind, "name": item.name, "replaced": row.created_at != now}

    def delete(self, kind: str, name: str, check: bool = True) -> dict:
        """Refused (InUse, naming where) while a scheme, menu or number uses it;
        `check=False` (the project import only) deletes it anyway."""
        what = _what(kind)
        with self._change() as s:
            row = _row(s, kind, name)
            if row is None:
                raise NotFound(f"no {what} named {shown(name)}")
            used = usages(_catalog(s, self._directory.snapshot(), self._webhooks), kind, row.name) \
                if check else []
            if used:
                raise InUse(f"{what} {row.name!r}: still used: {'; '.join(used)} (change "
                            f"those first)", used)
            s.delete(row)
            return {"kind": kind, "name": row.name}

    def route(self, number: str, kind: str, target: str) -> dict:
        """Serve a company number by a scheme, a menu, a voicemail box or a queue,
        replacing whatever served it before."""
        if kind not in ROUTE_KINDS:
            raise RoutingError(f"number {number}: kind {shown(kind, 20)}: one of "
                               f"{', '.join(ROUTE_KINDS)}")
        with self._change() as s:
            previous = _served_by(s, number)  # NotFound for a number that is not ours
            if kind == "scheme":
                hit = s.execute(select(StoredScheme.id, StoredScheme.name)
                                .where(StoredScheme.name == target)).first() \
                    if isinstance(target, str) else None
                found = hit and hit.name
            else:
                found = getattr(_row(s, kind, target), "name", None)
            if found is None:
                what = "scheme" if kind == "scheme" else KINDS[kind][0]
                raise RoutingError(f"number {number}: {what} {shown(target)}: no such {what}")
            _clear(s, number)
            if kind == "scheme":
                s.add(SchemeAssignment(number=number, scheme_id=hit.id))
            else:
                s.add(NumberRoute(number=number, kind=kind, target=found))
            return {"number": number, "kind": kind, "target": found, "previous": previous}

    def unroute(self, number: str) -> dict:
        """The number rings its employee target again, whatever served it before."""
        with self._change() as s:
            previous = _served_by(s, number)
            _clear(s, number)
            return {"number": number, "kind": None, "target": None, "previous": previous}

    # ---- reads --------------------------------------------------------------------------

    def list(self, kind: str) -> list[dict]:
        _what(kind)
        with self._sessions() as s:
            rows = s.scalars(select(RoutingDocument).where(RoutingDocument.kind == kind)
                             .order_by(RoutingDocument.name))
            routes = _routes(s)
            return [{"name": r.name, "numbers": sorted(n for n, d in routes.items()
                                                      if (d.kind, d.target) == (kind, r.name))}
                    for r in rows]

    def served_by(self, number: str) -> dict:
        """{"number", "kind", "target"}: what serves a company number (kind None: its
        employee target)."""
        with self._sessions() as s:
            return {"number": number, **(_served_by(s, number) or
                                         {"kind": None, "target": None})}

    def problems(self) -> list[tuple[str, str, str]]:
        """Everything wrong across the stored schemes, menus, boxes and number routes, as
        (kind, name, message); empty when all of it is consistent."""
        with self._sessions() as s:
            catalog = _catalog(s, self._directory.snapshot(), self._webhooks)
        prompts = self._prompt_names() if self._prompt_names is not None else None
        return problems_by_item(catalog, prompts)

    def show(self, kind: str, name: str) -> dict:
        what = _what(kind)
        with self._sessions() as s:
            row = _row(s, kind, name)
            if row is None:
                raise NotFound(f"no {what} named {shown(name)}")
            used = usages(_catalog(s, self._directory.snapshot(), self._webhooks), kind, row.name)
            return {**row.document, "used_by": used}

    def queue_status(self, name: str) -> dict:
        """Who waits in queue `name` and for how long, and each operator's state."""
        from .queue_status import status
        return status(self._sessions, self._queue(name), self._directory.snapshot())

    def queue_report(self, name: str, since=None, until=None) -> dict:
        """Offered, answered, abandoned, waits, service level, per operator (by call start,
        `since` inclusive, `until` exclusive)."""
        from .queue_status import queue_report
        return queue_report(self._sessions, self._queue(name), since, until)

    def _queue(self, name: str):
        with self._sessions() as s:
            row = _row(s, "queue", name)
            if row is None:
                raise NotFound(f"no queue named {shown(name)}")
            return queue_from_dict(row.document)

    def snapshot(self) -> Catalog:
        """Menus, boxes, queues, and the numbers they serve (the rest of the Catalog
        empty), for the daemon and simulate."""
        with self._sessions() as s:
            return dataclasses.replace(_stored(s), routes=_routes(s))

    def prompt_usages(self, name: str) -> list[str]:
        """Where an uploaded prompt is played (PromptService refuses to delete it then)."""
        with self._sessions() as s:
            return prompt_usages(_stored(s), name)

    # ---- internals ----------------------------------------------------------------------

    @contextmanager
    def _change(self) -> Iterator[Session]:
        with self._sessions.begin() as s:
            self._directory.bump_version(s)  # first: same version key, same lock order
            yield s


RENAMERS = {"ivr": rename_in_menu, "voicemail": rename_in_box, "queue": rename_in_queue}
_NAMES = {"employee": lambda e: e.full_name, "department": lambda d: d.name,
          "sip_account": lambda a: a.login}


def usage_checkers() -> list[tuple[str, Callable, None]]:
    """(kind, find, detach) for DirectoryService.register_usage_checker: an employee,
    department or SIP account a menu or a voicemail box names cannot be deleted (the
    refusal says where), not even by force: a menu option cannot be left leading nowhere."""
    def finder(kind: str):
        def find(s: Session, obj) -> list[str]:
            return [where if where.endswith(" it") else f"{where} names it"
                    for where in usages(_stored(s), kind, _NAMES[kind](obj))]
        return find
    return [(kind, finder(kind), None) for kind in _NAMES]


def rename_hooks() -> list[tuple[str, Callable]]:
    """(kind, hook) for DirectoryService.register_rename_hook: menus and boxes follow a
    renamed employee or department, in the rename's own transaction."""
    def renamer(kind: str):
        def rename(s: Session, old: str, new: str) -> None:
            for row in s.scalars(select(RoutingDocument)):
                _, from_dict, to_dict = KINDS[row.kind]
                item = from_dict(row.document)
                renamed = RENAMERS[row.kind](item, kind, old, new)
                if renamed is not item:
                    row.document = to_dict(renamed)  # a new dict: JSON columns track
                    row.updated_at = datetime.now(timezone.utc)  # assignment, not mutation
        return rename
    return [(kind, renamer(kind)) for kind in ("employee", "department")]


def _row(s: Session, kind: str, name) -> RoutingDocument | None:
    """The stored document of that name, compared as names are (case, spaces)."""
    if not isinstance(name, str):
        return None
    key = name_key(name)
    return next((row for row in s.scalars(select(RoutingDocument)
                                          .where(RoutingDocument.kind == kind))
                 if name_key(row.name) == key), None)


def _documents(s: Session) -> dict[str, dict]:
    """Every stored document, parsed: {"ivr": {name: IvrMenu}, "voicemail": ..., "queue": ...}."""
    out: dict[str, dict] = {kind: {} for kind in KINDS}
    for row in s.scalars(select(RoutingDocument).order_by(RoutingDocument.name)):
        item = KINDS[row.kind][1](row.document)
        out[row.kind][item.name] = item
    return out


def _stored(s: Session) -> Catalog:
    """Menus, boxes and queues only (what directory usage checks need)."""
    docs = _documents(s)
    return Catalog(menus=docs["ivr"], boxes=docs["voicemail"], queues=docs["queue"])


def _served_by(s: Session, number) -> dict | None:
    """{"kind", "target"} serving a company number, or None; NotFound for another number."""
    if not isinstance(number, str) or s.scalar(
            select(PhoneNumber.id).where(PhoneNumber.number == number)) is None:
        raise NotFound(f"number {shown(number, 40)}: not a company number")
    route = s.scalar(select(NumberRoute).where(NumberRoute.number == number))
    if route is not None:
        return {"kind": route.kind, "target": route.target}
    scheme = s.scalar(select(StoredScheme.name).join(SchemeAssignment.scheme)
                      .where(SchemeAssignment.number == number))
    return {"kind": "scheme", "target": scheme} if scheme is not None else None


def _clear(s: Session, number: str) -> None:
    s.execute(delete(SchemeAssignment).where(SchemeAssignment.number == number))
    s.execute(delete(NumberRoute).where(NumberRoute.number == number))


def _routes(s: Session) -> dict[str, Direction]:
    return {r.number: Direction(r.kind, r.target) for r in s.scalars(select(NumberRoute))}


def _catalog(s: Session, directory, webhooks: Collection[str] | None = None) -> Catalog:
    """Everything stored, as the domain sees it (for checks and usages)."""
    schemes = {r.name: scheme_from_dict(r.document) for r in s.scalars(select(StoredScheme))}
    routes = {a.number: Direction("scheme", a.scheme.name)
              for a in s.scalars(select(SchemeAssignment))}
    return dataclasses.replace(_stored(s), directory=directory, schemes=schemes,
                               routes={**routes, **_routes(s)}, webhooks=webhooks)


_FIELDS = {"ivr": "menus", "voicemail": "boxes", "queue": "queues"}  # Catalog's fields


def _with(catalog: Catalog, kind: str, item) -> Catalog:
    field = _FIELDS[kind]
    return dataclasses.replace(catalog, **{field: {**getattr(catalog, field), item.name: item}})


def catalog_from(directory, schemes: tuple[dict, dict], routing: Catalog) -> Catalog:
    """The daemon's Catalog from the scheme and routing snapshots."""
    by_name, assigned = schemes
    return dataclasses.replace(routing, directory=directory, schemes=by_name, routes={
        **{n: Direction("scheme", name) for n, name in assigned.items()}, **routing.routes})
