"""The whole directory as one YAML document: `callctl project export` and `import`.

Import makes the database match the document, through the same services (and so the same
rules) as the CLI and the API, inside ONE outer transaction: every step commits only a
savepoint, and any refusal rolls the whole import back. `--dry-run` runs the very same
steps and rolls back at the end, so it reports exactly what a real import would refuse.
SIP passwords are never exported; accounts created by an import get new ones. Forwarding
schemes and their numbers ride along (`schemes:`, `assignments:`); the order that lets
one document change people and the schemes naming them is in callctl/schemes/project.py.
"""
from __future__ import annotations

from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from ..domain.scheme import SchemeError
from ..prompts import project as prompt_doc
from ..prompts.service import PromptService
from ..schemes import project as scheme_doc
from ..schemes.service import NotFound, SchemeService


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
    employee: str | None = None
    ring_timeout: int = Field(30, ge=1, le=600)
    fallback: str | None = None


class ProjectDoc(_Strict):
    departments: list[DepartmentDoc] = []
    employees: list[EmployeeDoc] = []
    sip_accounts: list[SipAccountDoc] = []
    numbers: list[NumberDoc] = []
    schemes: list[dict] = []  # scheme documents: checked by the scheme rules, not here
    assignments: dict[str, str] = {}  # company number -> scheme name
    prompts: list[prompt_doc.PromptEntry] | None = None  # absent: left as they are


class ProjectError(Exception):
    pass


# section -> (document model, identifying key, service method stem)
SECTIONS = {
    "departments": (DepartmentDoc, "name", "department"),
    "employees": (EmployeeDoc, "full_name", "employee"),
    "sip_accounts": (SipAccountDoc, "login", "sip_account"),
    "numbers": (NumberDoc, "number", "number"),
}


def export_project(service, schemes: SchemeService, prompts=None, folder=None) -> dict:
    """The directory as plain data, in a stable order (export → import → export is equal).
    With `prompts` (a PromptService) and `folder`, the prompts too, their audio written
    into `folder`."""
    listed = {"departments": service.list_departments(), "employees": service.list_employees(),
              "sip_accounts": service.list_sip_accounts(), "numbers": service.list_numbers()}
    doc = {}
    for section, (model, key, _stem) in SECTIONS.items():
        fields = list(model.model_fields)
        rows = [{f: _plain(row.get(f)) for f in fields} for row in listed[section]]
        doc[section] = sorted(rows, key=lambda r: str(r[key]))
    doc["schemes"], doc["assignments"] = scheme_doc.export(schemes)
    if prompts is not None and folder is not None:
        doc["prompts"] = prompt_doc.export(prompts, folder)
    return doc


def dump(doc: dict) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False)


def parse(text: str, source: str) -> ProjectDoc:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise ProjectError(f"{source}: {where}not valid YAML") from None
    try:
        doc = ProjectDoc.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: {'.'.join(map(str, e['loc']))}: "
                 f"{'unknown key' if e['type'] == 'extra_forbidden' else e['msg']}"
                 for e in exc.errors()]
        raise ProjectError("\n".join(lines)) from None
    try:  # the schemes' structure now; names are checked when they are saved
        doc.schemes = list(scheme_doc.normalise(doc.schemes).values())
    except (SchemeError, ValueError) as exc:
        raise ProjectError("\n".join(f"{source}: schemes: {line}"
                                     for line in str(exc).splitlines())) from None
    try:  # reads and checks every prompt file now: one bad file refuses the import
        prompt_doc.load(doc.prompts, source)
    except ValueError as exc:
        lines = str(exc).splitlines()
        raise ProjectError("\n".join(f"{source}: {line}" for line in lines)) from None
    return doc


def plan_changes(current: dict, wanted: ProjectDoc) -> list[tuple[str, str, str, dict]]:
    """(op, section, id, fields) steps that turn `current` into `wanted`. Deletes come first,
    children first, so a renamed entry's e-mail or extension is free again; then creates and
    edits, parents first (departments before employees before accounts and numbers)."""
    steps, deletes = [], []
    for section, (_model, key, _stem) in SECTIONS.items():
        have = {row[key]: row for row in current[section]}
        want = {getattr(item, key): item.model_dump() for item in getattr(wanted, section)}
        for ident, fields in want.items():
            if ident not in have:
                steps.append(("add", section, ident, fields))
            else:
                diff = {k: v for k, v in fields.items() if k != key and _plain(have[ident][k])
                        != _plain(v)}
                if diff:
                    steps.append(("edit", section, ident, diff))
        deletes += [("delete", section, ident, {}) for ident in have if ident not in want]
    return deletes[::-1] + steps


def describe(steps: list[tuple[str, str, str, dict]], current: dict) -> list[str]:
    lines = []
    for op, section, ident, fields in steps:
        key = SECTIONS[section][1]
        if op == "add":
            lines.append(f"+ {section} {ident}")
        elif op == "delete":
            lines.append(f"- {section} {ident}")
        else:
            old = next(r for r in current[section] if r[key] == ident)
            changes = ", ".join(f"{k}: {_plain(old[k])!r} -> {v!r}" for k, v in fields.items())
            lines.append(f"~ {section} {ident}: {changes}")
    return lines


def import_project(engine: Engine, make_service, doc: ProjectDoc, *, dry_run: bool):
    """Apply `doc`; returns (diff lines, directory service results). Raises DirectoryError,
    SchemeError or ProjectError (nothing changed) on the first refusal.
    `make_service(sessionmaker)` builds the DirectoryService; the SchemeService is built
    here on the same sessionmaker, so both work inside the one outer transaction."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            maker = sessionmaker(bind=conn, expire_on_commit=False,
                                 join_transaction_mode="create_savepoint")
            service = make_service(maker)
            schemes = SchemeService(maker, service)
            current = export_project(service, schemes)
            steps = plan_changes(current, doc)
            changes = scheme_doc.SchemeChanges(
                {s["name"]: s for s in current["schemes"]}, scheme_doc.normalise(doc.schemes),
                current["assignments"], doc.assignments)
            prompt_service = PromptService(maker, on_change=service.bump_version)
            prompts = prompt_doc.PromptChanges(prompt_service, doc.prompts)
            lines = describe(steps, current) + changes.lines() + prompts.lines()
            prompts.upsert()  # before anything that may play them
            scheme_doc.detach(schemes, changes)  # before the directory deletes what they name
            results = [_apply(service, step) for step in steps]
            try:
                scheme_doc.attach(schemes, changes)
            except NotFound as err:
                raise ProjectError(f"assignments: {err.args[0]}") from None
            prompts.prune()  # after whatever stopped using them
            _check_result(export_project(service, schemes), wanted=doc)
        except BaseException:
            outer.rollback()
            raise
        if dry_run:
            outer.rollback()
        else:
            outer.commit()
    return lines, results


def _check_result(got: dict, wanted: ProjectDoc) -> None:
    """A document that contradicts itself (a number falling back to an employee it deletes)
    would import into something else than it says: refuse it instead."""
    for section, (_model, key, _stem) in SECTIONS.items():
        want = {getattr(i, key): i.model_dump() for i in getattr(wanted, section)}
        for row in got[section]:
            ident = row[key]
            diff = [k for k, v in want.get(ident, {}).items() if _plain(row[k]) != _plain(v)]
            if diff:
                raise ProjectError(f"{section} {ident}: {', '.join(diff)}: the document "
                                   "contradicts itself (it refers to something it deletes)")
    stored = {s["name"]: s for s in got["schemes"]}
    for section, have, want in (
            ("schemes", stored, scheme_doc.normalise(wanted.schemes)),
            ("assignments", got["assignments"], wanted.assignments)):
        if have != want:  # not expected: the scheme steps apply all of it or refuse
            raise ProjectError(f"{section}: the import did not produce what the document says")


def _apply(service, step):
    op, section, ident, fields = step
    _model, key, stem = SECTIONS[section]
    if op == "delete":
        delete = getattr(service, f"delete_{stem}")
        return delete(ident) if stem == "number" else delete(ident, force=True)
    if op == "edit":
        return getattr(service, f"edit_{stem}")(ident, **_args(fields))
    return getattr(service, f"add_{stem}")(**_args(fields))


def _args(fields: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}


def _plain(value):
    return list(value) if isinstance(value, tuple) else value
