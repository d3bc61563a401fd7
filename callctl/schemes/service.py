"""Forwarding schemes over the database: save (validated), copy, delete, assign to numbers.

Synchronous, like DirectoryService, and written the same way: every change runs in one
transaction that first bumps the shared `directory_version` (so a running daemon reloads
schemes together with the directory), then checks, then writes. A refusal raises
`SchemeError` (each problem naming scheme, branch and block) and rolls everything back,
the version included; asking for a scheme or number that does not exist raises `NotFound`.
Output is plain dicts.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from ..directory.errors import DirectoryError
from ..domain import coverage as domain_coverage
from ..domain.names import BadName, clean_name, name_key, shown
from ..domain.phones import BadNumber, to_e164
from ..domain.scheme import (Direction, Problem, Scheme, SchemeError, copy_scheme,
                             map_directions, rename_target, scheme_from_dict, scheme_to_dict,
                             validate, without_target)
from ..domain.scheme import overlaps as scheme_overlaps
from ..store.directory_models import PhoneNumber
from ..domain.ivr import menu_from_dict
from ..store.routing_models import NumberRoute, RoutingDocument
from ..store.scheme_models import SchemeAssignment, StoredScheme


class NotFound(LookupError):
    """The scheme or number an operation is about does not exist (the API answers 404)."""
    entity = "scheme"


class UnknownScheme(SchemeError, NotFound):
    pass


class UnknownNumber(NotFound):
    entity = "number"


def _check_name(name, what: str) -> str:
    """The name under the one rule for names (callctl/domain/names.py)."""
    try:
        return clean_name(name)
    except BadName as exc:
        raise _refuse(name if isinstance(name, str) else "?", f"{what}: {exc}") from None


def _refuse(scheme: str, message: str, branch: str | None = None,
            block: int | None = None) -> SchemeError:
    return SchemeError([Problem(scheme, branch, block, message)])


class SchemeService:
    def __init__(self, sessions: sessionmaker, directory_service, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 country: str = "US", webhooks: Collection[str] | None = None):
        """Wire `usage_checkers()` and `rename_hooks()` into the DirectoryService where the
        two are built (callctl/project/services.py), so deletes and renames respect
        schemes. `country`: how phone-number directions without +<code> are read."""
        self._sessions = sessions
        self._directory = directory_service
        self._clock = clock
        self._country = country
        self._webhooks = webhooks  # names webhook directions may use (None: not checked)

    # ---- changes --------------------------------------------------------------------

    def save_scheme(self, doc: dict, replace: bool = False) -> dict:
        """Creates the scheme `doc` names; with `replace`, an existing one is overwritten."""
        scheme = self.parse(doc)
        with self._change() as s:
            return self._save(s, scheme, replace)

    def parse(self, doc) -> Scheme:
        return parse_scheme(doc, self._country)

    def copy_scheme(self, name: str, new_name: str) -> dict:
        with self._change() as s:
            source = _parse(_get(s, name))
            new_name = _check_name(new_name, "the copy's name")
            try:
                copy = copy_scheme(source, new_name)
            except ValueError as exc:
                raise _refuse(name, str(exc)) from None
            return self._save(s, copy, replace=False)

    def delete_scheme(self, name: str, force: bool = False, check: bool = True) -> dict:
        """Refused while another scheme walks it or a menu leads to it (force cannot fix
        that: edit those first) or a number is assigned it (force detaches the numbers,
        which then ring their legacy employee target). `check=False`: the project import,
        which deletes schemes and menus that lead to each other, then checks everything."""
        with self._change() as s:
            row = _get(s, name)
            walked_by = []
            if check:
                walked_by = [f"{where} walks it" for other, scheme in _load(s).items()
                             if other != name
                             for where in _where_used(scheme, ("scheme",), name)]
                walked_by += [f"menu {menu.name!r} leads to it" for menu in _menus(s).values()
                              if any(d.kind == "scheme" and d.target == name
                                     for d in menu.directions())]
            numbers = [a.number for a in row.assignments]
            assigned = [f"number {n} is assigned it" for n in numbers]
            if walked_by or (assigned and not force):
                hint = "change those schemes first" if walked_by else \
                    "delete with force to detach the numbers"
                raise _refuse(name, f"still used: {'; '.join(walked_by + assigned)} ({hint})")
            for a in list(row.assignments):
                s.delete(a)
            s.delete(row)
            return {"name": name, "detached": [f"number {n}: scheme cleared" for n in numbers]}

    def assign(self, number: str, scheme: str) -> dict:
        """Points a company number at a scheme, replacing the scheme it had."""
        with self._change() as s:
            _company_number(s, number)
            # The scheme is what the number is to point at, not what the call is about: a
            # missing one is a refused input, not a missing object.
            row = _get(s, scheme, missing=SchemeError)
            a = _assignment(s, number)
            previous = a.scheme.name if a else None
            s.execute(delete(NumberRoute).where(NumberRoute.number == number))
            if a is None:
                s.add(SchemeAssignment(number=number, scheme=row))
            else:
                a.scheme = row
            return {"number": number, "scheme": scheme, "previous": previous}

    def unassign(self, number: str) -> dict:
        """The number then rings its legacy employee target. No scheme: nothing to do."""
        with self._change() as s:
            _company_number(s, number)
            a = _assignment(s, number)
            previous = a.scheme.name if a else None
            if a is not None:
                s.delete(a)
            return {"number": number, "scheme": None, "previous": previous}

    # ---- reads ----------------------------------------------------------------------

    def get_scheme(self, name: str) -> dict:
        with self._sessions() as s:
            return dict(_get(s, name).document)

    def list_schemes(self) -> list[dict]:
        with self._sessions() as s:
            rows = s.scalars(select(StoredScheme).options(selectinload(StoredScheme.assignments))
                             .order_by(StoredScheme.name))
            return [_summary(r) for r in rows]

    def snapshot(self) -> tuple[dict[str, Scheme], dict[str, str]]:
        """What the daemon and `simulate` read: schemes by name, number -> scheme name."""
        with self._sessions() as s:
            schemes = _load(s)
            pairs = s.execute(select(SchemeAssignment.number, StoredScheme.name)
                              .join(SchemeAssignment.scheme))
            return schemes, {number: name for number, name in pairs}

    def scheme(self, name: str) -> Scheme:
        with self._sessions() as s:
            return _parse(_get(s, name))

    def coverage(self, name: str) -> list[str]:
        """['Sat 00:00–23:59 uncovered', ...]; empty when every minute is covered."""
        return domain_coverage.uncovered(self.scheme(name))

    def overlaps(self, name: str) -> list[str]:
        return scheme_overlaps(self.scheme(name))

    # ---- internals ------------------------------------------------------------------

    @contextmanager
    def _change(self) -> Iterator[Session]:
        with self._sessions.begin() as s:
            self._directory.bump_version(s)  # first: same version key, same lock order
            yield s

    def _save(self, s: Session, scheme: Scheme, replace: bool) -> dict:
        rows = {r.name: r for r in s.scalars(select(StoredScheme))}
        row = rows.get(scheme.name)
        if row is not None and not replace:
            raise _refuse(scheme.name, "a scheme with this name already exists (save it "
                                       "with replace to overwrite it)")
        same = [n for n in rows if name_key(n) == name_key(scheme.name) and n != scheme.name]
        if same:
            raise _refuse(scheme.name, f"another scheme already has this name ({same[0]!r})")
        before = {name: _parse(r) for name, r in rows.items()}
        _check({**before, scheme.name: scheme}, before, scheme.name,
               self._directory.snapshot(), {**routing_names(s), "webhooks": self._webhooks})
        doc, now, replaced = scheme_to_dict(scheme), self._clock(), row is not None
        if row is None:
            row = StoredScheme(name=scheme.name, created_at=now, assignments=[])
            s.add(row)
        row.kind, row.document, row.updated_at = scheme.kind, doc, now
        s.flush()
        return {**_summary(row), "replaced": replaced}


def parse_scheme(doc, country: str) -> Scheme:
    """A scheme document as it would be stored: structure checked, names normalised, phone
    numbers in E.164 (`country` reads national ones). Raises SchemeError naming scheme,
    branch and block. Pure: the import compares documents with it before saving any."""
    if not isinstance(doc, dict):
        raise _refuse("?", f"must be a mapping of name, kind and branches, got {shown(doc)}")
    scheme = scheme_from_dict({**doc, "name": _check_name(doc.get("name"), "key 'name'")})
    problems: list[Problem] = []
    for branch in scheme.branches:
        for i, block in enumerate(branch.blocks, 1):
            for d in block.directions:
                if d.kind == "phone_number":
                    try:
                        to_e164(d.target, country)
                    except BadNumber as exc:
                        problems.append(Problem(scheme.name, branch.name, i,
                                                f"direction phone_number: {exc}"))
    if problems:
        raise SchemeError(problems)
    return map_directions(scheme, lambda d: Direction(d.kind, to_e164(d.target, country))
                          if d.kind == "phone_number" else d)


_NAMES = {"employee": lambda e: e.full_name, "department": lambda d: d.name,
          "sip_account": lambda a: a.login}


def usage_checkers() -> list[tuple[str, Callable, Callable]]:
    """(kind, find, detach) for DirectoryService.register_usage_checker: an employee,
    department or SIP account a scheme rings cannot be deleted (the refusal names scheme,
    branch and block); a force-delete takes its directions out of the schemes (emptied
    blocks and branches go too). A number's assignment belongs to the number: deleting the
    number drops it (ON DELETE CASCADE), so numbers need no checker."""
    return [(kind, _finder(kind, name_of), _detacher(kind, name_of))
            for kind, name_of in _NAMES.items()]


def rename_hooks() -> list[tuple[str, Callable]]:
    """(kind, hook) for DirectoryService.register_rename_hook: schemes name employees and
    departments, and a rename rewrites them in the same transaction."""
    return [(kind, _renamer(kind)) for kind in ("employee", "department")]


def routing_names(s: Session) -> dict[str, set[str]]:
    """The menus, voicemail boxes and queues a scheme's directions may name, as
    `validate`'s keyword arguments."""
    names: dict[str, set[str]] = {"menus": set(), "boxes": set(), "queues": set()}
    field = {"ivr": "menus", "voicemail": "boxes", "queue": "queues"}
    for kind, name in s.execute(select(RoutingDocument.kind, RoutingDocument.name)):
        names[field[kind]].add(name)
    return names


def _check(after: Mapping[str, Scheme], before: Mapping[str, Scheme], name: str,
           directory, names: dict[str, set[str]]) -> None:
    """Problems of the saved scheme, plus any it causes elsewhere (a new cycle, ...); older
    problems of other schemes (e.g. an employee renamed since) do not block this save."""
    old = set(validate(before, directory, **names))
    problems = [p for p in validate(after, directory, **names)
                if p.scheme == name or p not in old]
    if problems:
        raise SchemeError(problems)


def _finder(kind: str, name_of: Callable[[object], str]):
    def find(s: Session, obj) -> list[str]:
        target = name_of(obj)
        return [f"{where} rings it" for scheme in _load(s).values()
                for where in _where_used(scheme, (kind,), target)]
    return find


def _detacher(kind: str, name_of: Callable[[object], str]):
    def detach(s: Session, obj) -> list[str]:
        target, done = name_of(obj), []
        for row in s.scalars(select(StoredScheme).order_by(StoredScheme.name)):
            scheme, dropped = without_target(_parse(row), kind, target)
            if not dropped:
                continue
            if scheme is None:
                raise DirectoryError(f"{kind.replace('_', ' ')} {target!r}", "usages",
                                     f"scheme {row.name!r} would be left without directions "
                                     f"without it: edit or delete that scheme first",
                                     code="in_use", usages=dropped)
            row.document = scheme_to_dict(scheme)
            row.updated_at = datetime.now(timezone.utc)
            done += dropped
        return done
    return detach


def _renamer(kind: str):
    def rename(s: Session, old: str, new: str) -> None:
        for row in s.scalars(select(StoredScheme)):
            scheme = _parse(row)
            renamed = rename_target(scheme, kind, old, new)
            if renamed is not scheme:
                row.document = scheme_to_dict(renamed)  # a new dict: JSON columns track
                row.updated_at = datetime.now(timezone.utc)  # assignment, not mutation
    return rename


def _where_used(scheme: Scheme, kinds: tuple[str, ...], target: str) -> Iterator[str]:
    for branch in scheme.branches:
        for i, block in enumerate(branch.blocks, 1):
            if any(d.kind in kinds and d.target == target for d in block.directions):
                yield f"scheme {scheme.name!r}, branch {branch.name!r}, block {i}"


def _get(s: Session, name: str, missing: type[SchemeError] = UnknownScheme) -> StoredScheme:
    row = s.scalar(select(StoredScheme).where(StoredScheme.name == name)) \
        if isinstance(name, str) else None
    if row is None:
        raise missing([Problem(str(name), None, None, "no such scheme")])
    return row


def _company_number(s: Session, number) -> None:
    if not isinstance(number, str) or s.scalar(
            select(PhoneNumber.id).where(PhoneNumber.number == number)) is None:
        raise UnknownNumber(f"number {number!r}: not a company number")


def _assignment(s: Session, number: str) -> SchemeAssignment | None:
    return s.scalar(select(SchemeAssignment).where(SchemeAssignment.number == number))


def _menus(s: Session) -> dict:
    return {r.name: menu_from_dict(r.document) for r in s.scalars(
        select(RoutingDocument).where(RoutingDocument.kind == "ivr"))}


def _parse(row: StoredScheme) -> Scheme:
    return scheme_from_dict(row.document)


def _load(s: Session) -> dict[str, Scheme]:
    return {r.name: _parse(r) for r in s.scalars(select(StoredScheme).order_by(StoredScheme.name))}


def _summary(row: StoredScheme) -> dict:
    return {"name": row.name, "kind": row.kind, "branches": len(row.document["branches"]),
            "numbers": [a.number for a in row.assignments]}
