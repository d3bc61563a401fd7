"""The built-in CRM over the database: client cards, leads/contacts/deals, call-back tasks,
and the mapping of employees to the users of an external CRM.

Synchronous like the other services (the daemon calls it through asyncio.to_thread). A
refusal raises CrmError naming the field and changes nothing; a missing card, entity or
task raises NotFound.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from ..directory.rules import EMAIL_RE
from ..directory.service import DirectoryService
from ..domain.names import BadName, clean_name, clean_text, shown
from ..domain.phones import BadNumber, to_e164
from ..store.crm_models import ENTITY_KINDS, STATES, Client, ClientPhone, CrmEntity, CrmTask, \
    CrmUser
from ..store.directory_models import Employee

SEARCH_LIMIT = 50
NEW_CALLER = "made by callctl for a new caller"  # the comment of a card made for a caller
TEXT_FIELDS = {"company": 128, "address": 255, "comment": 4000}


class CrmError(ValueError):
    def __init__(self, field: str | None, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


class NotFound(LookupError):
    entity = "crm"


class CrmService:
    def __init__(self, sessions: sessionmaker, country: str = "US",
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self._sessions, self.country, self._clock = sessions, country, clock

    # ---- client cards ---------------------------------------------------------------------

    def add_client(self, name: str, phones=(), emails=(), company=None, address=None,
                   comment=None) -> dict:
        with self._sessions.begin() as s:
            client = Client(name=_name(name), emails=[], created_at=self._clock())
            s.add(client)
            self._fill(s, client, {"phones": phones, "emails": emails, "company": company,
                                   "address": address, "comment": comment})
            s.flush()
            return client_view(client)

    def edit_client(self, client_id: int, **changes) -> dict:
        unknown = set(changes) - {"name", "phones", "emails", *TEXT_FIELDS}
        if unknown:
            raise CrmError(sorted(unknown)[0], "not a field of a client card")
        with self._sessions.begin() as s:
            client = client_row(s, client_id)
            if "name" in changes:
                client.name = _name(changes.pop("name"))
            self._fill(s, client, changes)
            s.flush()
            return client_view(client)

    def delete_client(self, client_id: int) -> dict:
        with self._sessions.begin() as s:
            client = client_row(s, client_id)
            view = client_view(client)
            s.delete(client)
            return view

    def get_client(self, client_id: int) -> dict:
        with self._sessions() as s:
            client = client_row(s, client_id)
            tasks = s.scalars(select(CrmTask).where(CrmTask.client_id == client_id)
                              .order_by(CrmTask.id))
            return {**client_view(client), "entities": [entity_view(s, e)
                                                        for e in client.entities],
                    "tasks": [task_view(s, t) for t in tasks]}

    def search(self, text: str = "", *, phone: str | None = None, name: str | None = None,
               company: str | None = None, address: str | None = None) -> list[dict]:
        """Cards matching every field given: `text` in any of phone, name, company or
        address (the quick search), `phone`/`name`/`company`/`address` in that field (the
        extended one). Parts of words match, case-insensitively; a phone number may be
        written as people write it."""
        given = {k: (v or "").strip() for k, v in (("q", text), ("phone", phone),
                                                   ("name", name), ("company", company),
                                                   ("address", address)) if v is not None}
        if not any(given.values()):
            raise CrmError("q", "say what to look for: a phone, a name, a company, an address")
        q = select(Client).options(selectinload(Client.phones))
        for field, value in given.items():
            if value:
                q = q.where(self._matches(field, value))
        with self._sessions() as s:
            rows = s.scalars(q.order_by(Client.name, Client.id).limit(SEARCH_LIMIT))
            return [client_view(c) for c in rows]

    def _matches(self, field: str, value: str):
        like = f"%{value}%"
        by_phone = [ClientPhone.number.like(like)]
        digits = "".join(ch for ch in value if ch.isdigit())
        if digits and digits != value:  # "(555) 765-4321" finds +15557654321
            by_phone.append(ClientPhone.number.like(f"%{digits}%"))
        try:
            by_phone.append(ClientPhone.number == to_e164(value, self.country))
        except BadNumber:
            pass
        phones = Client.phones.any(or_(*by_phone))
        text = {"name": Client.name.ilike(like), "company": Client.company.ilike(like),
                "address": Client.address.ilike(like)}
        if field == "q":
            return or_(phones, *text.values())
        return phones if field == "phone" else text[field]

    def _fill(self, s: Session, client: Client, changes: dict) -> None:
        for field, limit in TEXT_FIELDS.items():
            if field in changes:
                setattr(client, field, _text(field, changes[field], limit))
        if changes.get("emails") is not None:
            client.emails = [_email(e) for e in _list("emails", changes["emails"])]
        if changes.get("phones") is not None:
            numbers = []
            for written in _list("phones", changes["phones"]):
                try:
                    number = to_e164(written, self.country)
                except BadNumber as exc:
                    raise CrmError("phones", str(exc)) from None
                other = s.scalar(select(ClientPhone).where(ClientPhone.number == number))
                if other is not None and other.client_id != client.id:
                    raise CrmError("phones", f"{number} is already on client card "
                                             f"{other.client_id}")
                if number not in numbers:
                    numbers.append(number)
            keep = {p.number: p for p in client.phones}
            client.phones = [keep.get(n) or ClientPhone(number=n) for n in numbers]

    # ---- leads, contacts, deals -----------------------------------------------------------

    def add_entity(self, client_id: int, kind: str, title: str, responsible: str | None,
                   state: str = "open") -> dict:
        with self._sessions.begin() as s:
            client_row(s, client_id)
            entity = CrmEntity(client_id=client_id, kind=_choice("kind", kind, ENTITY_KINDS),
                               title=_text("title", title, 255) or kind,
                               responsible_id=_employee_id(s, responsible),
                               state=_choice("state", state, STATES), created_at=self._clock())
            s.add(entity)
            s.flush()
            return entity_view(s, entity)

    def edit_entity(self, entity_id: int, **changes) -> dict:
        with self._sessions.begin() as s:
            entity = s.get(CrmEntity, entity_id)
            if entity is None:
                raise NotFound(f"no lead, contact or deal {entity_id}")
            for field, value in changes.items():
                if field == "state":
                    entity.state = _choice("state", value, STATES)
                elif field == "responsible":
                    entity.responsible_id = _employee_id(s, value)
                elif field == "title":
                    entity.title = _text("title", value, 255) or entity.kind
                else:
                    raise CrmError(field, "not a field of a lead, contact or deal")
            s.flush()
            return entity_view(s, entity)

    def responsible_for(self, number: str, order: tuple[str, ...]) -> tuple[str, str] | None:
        """(employee, why) for the first open entity of the caller's card in `order` that
        has a responsible employee; None when there is none."""
        with self._sessions() as s:
            client_id = s.scalar(select(ClientPhone.client_id)
                                 .where(ClientPhone.number == number))
            if client_id is None:
                return None
            rows = s.execute(select(CrmEntity.kind, CrmEntity.id, Employee.full_name)
                             .join(Employee, Employee.id == CrmEntity.responsible_id)
                             .where(CrmEntity.client_id == client_id,
                                    CrmEntity.state == "open")
                             .order_by(CrmEntity.id)).all()
        for kind in order:
            for row_kind, entity_id, name in rows:
                if row_kind == kind:
                    return name, f"{kind} {entity_id}"
        return None

    # ---- what calls do --------------------------------------------------------------------

    def card_for_caller(self, number: str) -> tuple[int, bool] | None:
        """The caller's card id and whether it was made now; None for a caller with no
        usable number (anonymous)."""
        try:
            number = to_e164(number, self.country)
        except BadNumber:
            return None
        with self._sessions.begin() as s:
            found = s.scalar(select(ClientPhone.client_id).where(ClientPhone.number == number))
            if found is not None:
                return found, False
            client = Client(name=number, emails=[], created_at=self._clock(),
                            comment=NEW_CALLER,
                            phones=[ClientPhone(number=number)])
            s.add(client)
            s.flush()
            return client.id, True

    def call_back(self, call_id: str, caller: str, responsible: str | None,
                  within: timedelta) -> dict:
        """A "call back" task for a missed call (one per call)."""
        card = self.card_for_caller(caller)
        with self._sessions.begin() as s:
            task = s.scalar(select(CrmTask).where(CrmTask.call_id == call_id))
            if task is None:
                now = self._clock()
                task = CrmTask(client_id=card[0] if card else None, kind="call_back",
                               call_id=call_id, title=f"call back {caller}",
                               responsible_id=_employee_id(s, responsible, strict=False),
                               due_at=now + within, created_at=now)
                s.add(task)
                s.flush()
            return task_view(s, task)

    def list_tasks(self, open_only: bool = True, employee: str | None = None) -> list[dict]:
        with self._sessions() as s:
            q = select(CrmTask).order_by(CrmTask.due_at, CrmTask.id)
            if open_only:
                q = q.where(CrmTask.done_at.is_(None))
            if employee is not None:
                q = q.where(CrmTask.responsible_id == _employee_id(s, employee,
                                                                   field="employee"))
            return [task_view(s, t) for t in s.scalars(q)]

    def finish_task(self, task_id: int) -> dict:
        with self._sessions.begin() as s:
            task = s.get(CrmTask, task_id)
            if task is None:
                raise NotFound(f"no task {task_id}")
            task.done_at = task.done_at or self._clock()
            s.flush()
            return task_view(s, task)

    # ---- employees as users of an external CRM --------------------------------------------

    def map_user(self, crm_user_id: str, employee: str) -> dict:
        crm_user_id = _text("crm_user_id", crm_user_id, 128)
        if not crm_user_id:
            raise CrmError("crm_user_id", "required")
        with self._sessions.begin() as s:
            DirectoryService.bump_version(s)  # the daemon reloads the mapping with it
            employee_id = _employee_id(s, employee, field="employee")
            s.execute(delete(CrmUser).where(or_(CrmUser.crm_user_id == crm_user_id,
                                                CrmUser.employee_id == employee_id)))
            s.add(CrmUser(crm_user_id=crm_user_id, employee_id=employee_id))
            return {"crm_user_id": crm_user_id, "employee": employee}

    def unmap_user(self, crm_user_id: str) -> dict:
        with self._sessions.begin() as s:
            DirectoryService.bump_version(s)
            if not s.execute(delete(CrmUser).where(CrmUser.crm_user_id == crm_user_id)).rowcount:
                raise NotFound(f"no CRM user {crm_user_id!r} is mapped")
            return {"crm_user_id": crm_user_id}

    def users(self) -> dict[str, str]:
        """CRM user id -> employee name."""
        with self._sessions() as s:
            return dict(s.execute(select(CrmUser.crm_user_id, Employee.full_name)
                                  .join(Employee, Employee.id == CrmUser.employee_id)
                                  .order_by(CrmUser.crm_user_id)).all())


# ---- views and checks -------------------------------------------------------------------------

def client_view(c: Client) -> dict:
    return {"id": c.id, "name": c.name, "company": c.company, "phones": [p.number for p in
                                                                         c.phones],
            "emails": list(c.emails or []), "address": c.address, "comment": c.comment,
            "created_at": _iso(c.created_at)}


def _employee_name(s: Session, employee_id: int | None) -> str | None:
    return s.get(Employee, employee_id).full_name if employee_id is not None else None


def entity_view(s: Session, e: CrmEntity) -> dict:
    return {"id": e.id, "client_id": e.client_id, "kind": e.kind, "title": e.title,
            "responsible": _employee_name(s, e.responsible_id), "state": e.state}


def task_view(s: Session, t: CrmTask) -> dict:
    return {"id": t.id, "kind": t.kind, "title": t.title, "client_id": t.client_id,
            "call_id": t.call_id, "responsible": _employee_name(s, t.responsible_id),
            "due_at": _iso(t.due_at), "done": t.done_at is not None}


def _iso(at: datetime) -> str:
    """UTC, with its offset (SQLite hands back naive values, stored as UTC)."""
    return (at.astimezone(timezone.utc) if at.tzinfo else at.replace(tzinfo=timezone.utc)) \
        .isoformat()


def client_row(s: Session, client_id) -> Client:
    client = s.get(Client, client_id) if isinstance(client_id, int) else None
    if client is None:
        raise NotFound(f"no client card {client_id}")
    return client


def _employee_id(s: Session, name, strict: bool = True,
                 field: str = "responsible") -> int | None:
    if name is None:
        return None
    found = s.scalar(select(Employee.id).where(Employee.full_name == name))
    if found is None and strict:
        raise CrmError(field, f"no employee named {shown(name)}")
    return found


def _name(value) -> str:
    try:
        return clean_name(value)
    except BadName as exc:
        raise CrmError("name", str(exc)) from None


def _text(field: str, value, limit: int) -> str | None:
    if value is None:
        return None
    try:
        return clean_text(value, max_length=limit).strip() or None
    except BadName as exc:
        raise CrmError(field, str(exc)) from None


def _list(field: str, value) -> list:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise CrmError(field, f"must be a list, got {shown(value, 40)}")
    return list(value)


def _email(value) -> str:
    email = _text("emails", value, 254)
    if not email or not EMAIL_RE.match(email):
        raise CrmError("emails", f"{shown(value)} is not a valid e-mail address")
    return email


def _choice(field: str, value, allowed) -> str:
    if value not in allowed:
        raise CrmError(field, f"{shown(value)}: one of {', '.join(allowed)}")
    return value


def usage_checkers() -> list[tuple[str, Callable, Callable]]:
    """(kind, find, detach) for DirectoryService.register_usage_checker: an employee who
    is a CRM user or responsible for open leads, contacts, deals or tasks is deleted only
    with force (the entities then have nobody responsible; the mapping goes)."""
    def find(s: Session, e: Employee) -> list[str]:
        out = [f"CRM user {u}" for u in s.scalars(select(CrmUser.crm_user_id)
                                                  .where(CrmUser.employee_id == e.id))]
        out += [f"{kind} {i} is theirs" for kind, i in s.execute(
            select(CrmEntity.kind, CrmEntity.id).where(CrmEntity.responsible_id == e.id,
                                                       CrmEntity.state == "open"))]
        out += [f"task {i} is theirs" for i in s.scalars(
            select(CrmTask.id).where(CrmTask.responsible_id == e.id,
                                     CrmTask.done_at.is_(None)))]
        return out

    def detach(s: Session, e: Employee) -> list[str]:
        found = find(s, e)
        s.execute(delete(CrmUser).where(CrmUser.employee_id == e.id))
        for model in (CrmEntity, CrmTask):
            for row in s.scalars(select(model).where(model.responsible_id == e.id)):
                row.responsible_id = None
        return [f"{f}: detached" for f in found]
    return [("employee", find, detach)]
