"""The directory's sections: departments, employees, sip_accounts, numbers.

Each entry goes through the DirectoryService (the same rules as the CLI and the API). An
entry is matched to what is stored by its identity: employees by e-mail (which never
changes), else by name, so renaming someone in the document renames them (their tokens,
password and history stay); the others by name, login or number. Fields an entry leaves
out are left as they are on an existing entry, and take their defaults on a new one.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..directory.errors import DirectoryError
from ..domain.names import BadName, clean_name, name_key, shown
from ..domain.phones import BadNumber, to_e164
from ..yamldoc import validation_lines
from .document import ProjectError, Reading, duplicates


class _Strict(BaseModel):
    # strict: `ring_timeout: true` is not 1 s, `online: "no"` is not false, 101 is no text.
    model_config = ConfigDict(extra="forbid", strict=True)


class DepartmentDoc(_Strict):
    name: str
    extension: str


class EmployeeDoc(_Strict):
    full_name: str
    email: str
    extension: str
    department: str | None = None
    access_level: Literal["admin", "manager", "operator"] = "operator"
    online: bool = True
    call_waiting: bool = False
    phone_numbers: list[str] = []
    other_contacts: list[str] = []


class SipAccountDoc(_Strict):
    login: str
    employee: str | None = None
    on_pc: bool = False
    on_mobile: bool = False


class NumberDoc(_Strict):
    number: str
    employee: str | None = None  # required by the service: refused there, naming the entry
    ring_timeout: int = Field(30, ge=1, le=600)
    fallback: str | None = None


@dataclass
class Entry:
    fields: dict  # normalised, defaults filled in (what an add gets)
    given: set[str]  # the fields the document wrote (what an edit may change)
    where: str  # "file, line N: employees[2]"


@dataclass
class Plan:
    adds: list[Entry] = field(default_factory=list)
    edits: list[tuple[str, dict, Entry]] = field(default_factory=list)  # stored id, changes
    deletes: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # not in the document, not pruned
    wanted: list[Entry] = field(default_factory=list)
    current: dict = field(default_factory=dict)


def _name(v, country):
    return None if v is None else clean_name(v)


def _phone(v, country):
    return to_e164(v, country)


def _name_or_phone(v, country):
    """A fallback: a number (written with digits, + and separators only) or a name."""
    if v is None:
        return None
    if v.strip() and not v.strip().strip("+0123456789 ()./-"):
        return to_e164(v, country)
    return clean_name(v)


def _contact(v, country):
    return v.strip() if v.strip().lower().startswith(("sip:", "sips:")) else to_e164(v, country)


def _same(v, country):
    return v.strip() if isinstance(v, str) else v


def _each(fn):
    return lambda values, country: [fn(v, country) for v in values]


@dataclass
class DirectorySection:
    key: str  # the document's key, e.g. "employees"
    model: type[_Strict]
    ident: str  # the field naming an entry, e.g. "full_name"
    stem: str  # DirectoryService method stem: add_{stem}, edit_{stem}, ...
    clean: dict[str, Callable]  # field -> normaliser(value, country)
    identities: Callable[[dict], list[tuple[str, Any]]]  # (what, key), strongest first
    renamable: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key,)

    # ---- reading ---------------------------------------------------------------------

    def read(self, given: dict, r: Reading) -> list[Entry]:
        raw = given[self.key]
        if not isinstance(raw, list):
            raise ProjectError(f"{r.at(self.key)}: must be a list (write [] for none), got "
                               f"{shown(raw, 40)}")
        entries, problems = [], []
        for i, item in enumerate(raw):
            try:
                entries.append(self._entry(item, i, r))
            except ProjectError as exc:
                problems += str(exc).splitlines()
        if not problems:
            problems = duplicates([(key, e.where, f"{what} {shown(e.fields[what], 40)}")
                                   for e in entries for what, key in self.identities(e.fields)],
                                  r)
        if problems:
            raise ProjectError("\n".join(problems))
        return entries

    def _entry(self, item, i: int, r: Reading) -> Entry:
        try:
            model = self.model.model_validate(item)
        except ValidationError as exc:
            raise ProjectError("\n".join(validation_lines(exc, r.doc, (self.key, i)))) \
                from None
        fields, problems = model.model_dump(), []
        for name, clean in self.clean.items():
            try:
                fields[name] = clean(fields[name], r.country)
            except (BadName, BadNumber) as exc:
                problems.append(f"{r.at(self.key, i, name)}: {exc}")
        if problems:
            raise ProjectError("\n".join(problems))
        where = f"{r.at(self.key, i)} ({shown(fields[self.ident], 40)})"
        return Entry(fields, set(model.model_fields_set), where)

    # ---- export and plan -------------------------------------------------------------

    def rows(self, services) -> list[dict]:
        return getattr(services.directory, f"list_{self.stem}s")()

    def export(self, services) -> dict:
        names = list(self.model.model_fields)
        rows = [{f: _plain(row.get(f)) for f in names} for row in self.rows(services)]
        return {self.key: sorted(rows, key=lambda row: str(row[self.ident]))}

    def plan(self, services, wanted: list[Entry], prune: bool) -> Plan:
        current = {row[self.ident]: row for row in self.rows(services)}
        index: dict[tuple[str, Any], str] = {}
        for ident, row in current.items():
            for what, key in self.identities(row):
                index.setdefault((what, key), ident)
        plan, matched = Plan(wanted=wanted, current=current), set()
        for entry in wanted:
            found = next((index[(what, key)] for what, key in self.identities(entry.fields)
                          if (what, key) in index), None)
            if found is None:
                plan.adds.append(entry)
                continue
            matched.add(found)
            row = current[found]
            changes = {k: entry.fields[k] for k in self.model.model_fields  # in their order
                       if (k in entry.given or k == self.ident)
                       and not _equal(k, row.get(k), entry.fields[k])}
            if not self.renamable:
                changes.pop(self.ident, None)
            if changes:
                plan.edits.append((found, changes, entry))
        missing = sorted(i for i in current if i not in matched)
        (plan.deletes if prune else plan.kept).extend(missing)
        return plan

    def lines(self, plan: Plan) -> list[str]:
        out = [f"- {self.key} {i}" for i in plan.deletes]
        out += [f"+ {self.key} {e.fields[self.ident]}" for e in plan.adds]
        for ident, changes, _ in plan.edits:
            row = plan.current[ident]
            out.append(f"~ {self.key} {ident}: " + ", ".join(
                f"{k}: {_plain(row.get(k))!r} -> {v!r}" for k, v in changes.items()))
        if plan.kept:
            out.append(f"= {self.key} kept, not in the document (--prune deletes them): "
                       + ", ".join(plan.kept))
        return out

    # ---- changes ---------------------------------------------------------------------

    def retract(self, services, plan: Plan) -> list:
        delete = getattr(services.directory, f"delete_{self.stem}")
        return [self._run(f"{self.key} {ident!r} (--prune)", delete, ident, force=True)
                for ident in plan.deletes]

    def apply(self, services, plan: Plan) -> list:
        d = services.directory
        results = [self._run(e.where, getattr(d, f"add_{self.stem}"), **_args(e.fields))
                   for e in plan.adds]
        results += [self._run(e.where, getattr(d, f"edit_{self.stem}"), ident, **_args(ch))
                    for ident, ch, e in plan.edits]
        return results

    def verify(self, services, plan: Plan) -> None:
        """A document that contradicts itself (a number falling back to an employee it
        deletes) would import into something else than it says: refuse it instead."""
        stored = {}
        for row in self.rows(services):
            for what, key in self.identities(row):
                stored.setdefault((what, key), row)
        for e in plan.wanted:
            row = next((stored[k] for k in self.identities(e.fields) if k in stored), None)
            wrong = [k for k in e.given if row is None or not _equal(k, row.get(k),
                                                                      e.fields[k])]
            if wrong:
                raise ProjectError(f"{e.where}: {', '.join(wrong)}: the document contradicts "
                                   "itself (it refers to something it deletes)")

    @staticmethod
    def _run(where: str, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except DirectoryError as exc:
            raise ProjectError(f"{where}: {exc}") from None


def _args(fields: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}


def _equal(key: str, stored, wanted) -> bool:
    if key == "email" and isinstance(stored, str) and isinstance(wanted, str):
        return stored.casefold() == wanted.casefold()  # e-mail compares case-insensitively
    return _plain(stored) == _plain(wanted)


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def _key_of(name) -> Any:
    return name_key(name) if isinstance(name, str) else name


DEPARTMENTS = DirectorySection(
    "departments", DepartmentDoc, "name", "department", {"name": _name},
    lambda f: [("name", _key_of(f["name"]))], renamable=True)
EMPLOYEES = DirectorySection(
    "employees", EmployeeDoc, "full_name", "employee",
    {"full_name": _name, "email": _same, "department": _name,
     "phone_numbers": _each(_phone), "other_contacts": _each(_contact)},
    lambda f: [("email", f["email"].casefold()), ("full_name", _key_of(f["full_name"]))],
    renamable=True)
SIP_ACCOUNTS = DirectorySection(
    "sip_accounts", SipAccountDoc, "login", "sip_account", {"login": _same, "employee": _name},
    lambda f: [("login", f["login"].lower())])
NUMBERS = DirectorySection(
    "numbers", NumberDoc, "number", "number",
    {"number": _phone, "employee": _name, "fallback": _name_or_phone},
    lambda f: [("number", f["number"])])
