"""The directory's service layer: every rule about employees, departments, SIP accounts and
company numbers, over the database. The CLI, the HTTP API and the YAML import all call it.

Synchronous (the daemon calls it in a thread). A change runs in one transaction that first
bumps `directory_version` (which, on SQLite, takes the write lock before anything is read, so
checks and writes see the same data), then validates everything, then writes. A refusal
raises `DirectoryError` and the transaction rolls back: nothing changes, not even the version.
Output is plain dicts, never ORM objects, and never a secret.

The checks live in `rules`, the dict views in `views`, secrets and the invitation mail in
`credentials`, invitations and sign-in in `invitations`, usage checkers in `usages`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from ..domain import directory as domain
from ..domain.names import shown
from ..store.tokens import hash_token, new_token
from ..store.directory_models import (ACCESS_LEVELS, REG_STATES, Department, Employee,
                                      EmployeeContact, Meta, PhoneNumber, SipAccount)
from .credentials import INVITATION_TTL, new_sip_password, send_invitation
from .errors import DirectoryError
from .invitations import Invitations
from .result import Result
from .rules import (KINDS, SIP_URI_RE, check_choice, check_contacts, check_editable, check_flag,
                    check_kind, check_ring_timeout, department_ref, employee_ref,
                    fallback_target, free_email, free_extension, free_login, free_name,
                    free_number, get, new_login)
from .usages import Detacher, Finder, RenameHook, builtin_checkers
from .views import (current_contacts, department_view, domain_employee, employee_view,
                    employees_query, name_of, number_view, sip_view)

VERSION_KEY = "directory_version"


class DirectoryService(Invitations):
    def __init__(self, sessions: sessionmaker, *, mailer=None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 seats_included: int = 3, feature_codes: tuple[str, ...] = ("*", "#"),
                 country: str = "US"):
        """`country`: numbers written without +<country code> are national numbers of it."""
        self._sessions = sessions
        self.country = country
        self._mailer = mailer
        self._clock = clock
        self._seats = seats_included
        self._feature_codes = tuple(feature_codes)
        self._checkers: dict[str, list[tuple[Finder, Detacher | None]]] = builtin_checkers()
        self._rename_hooks: dict[str, list[RenameHook]] = {"employee": [], "department": []}

    # ---- employees ------------------------------------------------------------------

    def add_employee(self, full_name, email, extension, department=None, access_level="operator",
                     phone_numbers=(), other_contacts=(), online=True,
                     call_waiting=False) -> Result:
        with self._change() as s:
            name = free_name(s, "employee", full_name)
            label = f"employee {name!r}"
            email = free_email(s, label, email)
            extension = self._free_extension(s, label, extension)
            dept = department_ref(s, label, department)
            check_choice(label, "access_level", access_level, ACCESS_LEVELS)
            contacts = check_contacts(label, phone_numbers, other_contacts, self.country)
            check_flag(label, "online", online)
            check_flag(label, "call_waiting", call_waiting)
            token = new_token()
            e = Employee(full_name=name, email=email, extension=extension, department=dept,
                         access_level=access_level, online=online, call_waiting=call_waiting,
                         created_at=self._clock(), invite_token_hash=hash_token(token),
                         invite_expires_at=self._clock() + INVITATION_TTL)
            set_contacts(e, *contacts)
            s.add(e)
            s.flush()
            result = Result(self._employee_view(e), invitation_token=token)
            count = s.scalar(select(func.count()).select_from(Employee))
            if count > self._seats:
                extra = count - self._seats
                result.messages.append(
                    f"{count} employees: {extra} seat{'s' if extra > 1 else ''} above the "
                    f"{self._seats} included {'are' if extra > 1 else 'is'} billed")
        result.messages.append(send_invitation(self._mailer, email, name, token))
        return result

    def edit_employee(self, full_name, /, **changes) -> Result:
        """`full_name` is positional-only, so `full_name=` in `changes` renames."""
        with self._change() as s:
            e = self._get(s, "employee", full_name)
            label = f"employee {e.full_name!r}"
            if "email" in changes and changes["email"] != e.email:
                raise DirectoryError(label, "email", "e-mail cannot be changed after creation: "
                                     "create a new profile for the new address")
            changes.pop("email", None)
            check_editable(label, changes, ("full_name", "extension", "department",
                                            "access_level", "phone_numbers", "other_contacts",
                                            "online", "call_waiting"))
            if "full_name" in changes:
                changes["full_name"] = free_name(s, "employee", changes["full_name"], own=e)
            if "extension" in changes:
                changes["extension"] = self._free_extension(s, label, changes["extension"], own=e)
            if "department" in changes:
                changes["department"] = department_ref(s, label, changes["department"])
            if "access_level" in changes:
                check_choice(label, "access_level", changes["access_level"], ACCESS_LEVELS)
            for flag in ("online", "call_waiting"):
                if flag in changes:
                    check_flag(label, flag, changes[flag])
            contacts = None
            if "phone_numbers" in changes or "other_contacts" in changes:
                primary, other = current_contacts(e)
                contacts = check_contacts(label, changes.pop("phone_numbers", primary),
                                          changes.pop("other_contacts", other), self.country)
            old_name = e.full_name
            for key, value in changes.items():
                setattr(e, key, value)
            if contacts is not None:
                set_contacts(e, *contacts)
            s.flush()
            self._renamed(s, "employee", old_name, e.full_name)
            return Result(self._employee_view(e))

    def delete_employee(self, full_name, force=False) -> Result:
        with self._change() as s:
            e = self._get(s, "employee", full_name)
            result = Result(self._employee_view(e))
            result.detached = self._release(s, "employee", e, force)
            s.delete(e)
            return result

    def list_employees(self) -> list[dict]:
        with self._sessions() as s:
            return [self._employee_view(e) for e in s.scalars(
                employees_query().order_by(Employee.full_name))]

    def get_employee(self, full_name) -> dict:
        with self._sessions() as s:
            return self._employee_view(self._get(s, "employee", full_name))

    # ---- departments ----------------------------------------------------------------

    def add_department(self, name, extension) -> Result:
        with self._change() as s:
            name = free_name(s, "department", name)
            label = f"department {name!r}"
            d = Department(name=name, extension=self._free_extension(s, label, extension),
                           created_at=self._clock())
            s.add(d)
            s.flush()
            return Result(department_view(d))

    def edit_department(self, name, /, **changes) -> Result:
        """`name` is positional-only, so `name=` in `changes` renames."""
        with self._change() as s:
            d = self._get(s, "department", name)
            label = f"department {d.name!r}"
            check_editable(label, changes, ("name", "extension"))
            if "name" in changes:
                changes["name"] = free_name(s, "department", changes["name"], own=d)
            if "extension" in changes:
                changes["extension"] = self._free_extension(s, label, changes["extension"], own=d)
            old_name = d.name
            for key, value in changes.items():
                setattr(d, key, value)
            s.flush()
            self._renamed(s, "department", old_name, d.name)
            return Result(department_view(d))

    def delete_department(self, name, force=False) -> Result:
        with self._change() as s:
            d = self._get(s, "department", name)
            result = Result(department_view(d))
            result.detached = self._release(s, "department", d, force)
            s.delete(d)
            return result

    def list_departments(self) -> list[dict]:
        with self._sessions() as s:
            q = select(Department).options(selectinload(Department.employees))
            return [department_view(d) for d in s.scalars(q.order_by(Department.name))]

    def get_department(self, name) -> dict:
        with self._sessions() as s:
            return department_view(self._get(s, "department", name))

    # ---- SIP accounts -----------------------------------------------------------------

    def add_sip_account(self, employee=None, on_pc=False, on_mobile=False, login=None) -> Result:
        with self._change() as s:
            label = f"SIP account {shown(login)}" if login is not None else "SIP account"
            owner = employee_ref(s, label, "employee", employee)
            check_flag(label, "on_pc", on_pc)
            check_flag(label, "on_mobile", on_mobile)
            login = new_login(s, owner) if login is None else free_login(s, label, login)
            password = new_sip_password()
            a = SipAccount(login=login, password=password, employee=owner, on_pc=on_pc,
                           on_mobile=on_mobile, created_at=self._clock(), reg_state="offline")
            s.add(a)
            s.flush()
            return Result(sip_view(a), secret=password)

    def edit_sip_account(self, login, /, **changes) -> Result:
        with self._change() as s:
            a = self._get(s, "sip_account", login)
            label = f"SIP account {a.login!r}"
            check_editable(label, changes, ("employee", "on_pc", "on_mobile", "reset_password"))
            if "employee" in changes:
                changes["employee"] = employee_ref(s, label, "employee", changes["employee"])
            for key in ("on_pc", "on_mobile", "reset_password"):
                if key in changes:
                    check_flag(label, key, changes[key])
            secret = new_sip_password() if changes.pop("reset_password", False) else None
            for key, value in changes.items():
                setattr(a, key, value)
            if secret:
                a.password = secret
            s.flush()
            return Result(sip_view(a), secret=secret)

    def delete_sip_account(self, login, force=False) -> Result:
        with self._change() as s:
            a = self._get(s, "sip_account", login)
            result = Result(sip_view(a))
            result.detached = self._release(s, "sip_account", a, force)
            s.delete(a)
            return result

    def list_sip_accounts(self) -> list[dict]:
        with self._sessions() as s:
            q = select(SipAccount).options(selectinload(SipAccount.employee))
            return [sip_view(a) for a in s.scalars(q.order_by(SipAccount.login))]

    def get_sip_account(self, login) -> dict:
        with self._sessions() as s:
            return sip_view(self._get(s, "sip_account", login))

    def set_registration(self, login, state, contact=None) -> bool:
        """Asterisk reported a registration change. False when no such account (e.g. the
        trunk's endpoint). Not a directory change: the version stays."""
        if state not in REG_STATES:
            raise DirectoryError(f"SIP account {login!r}", "reg_state",
                                 "must be 'online' or 'offline'")
        with self._sessions.begin() as s:
            a = s.scalar(select(SipAccount).where(SipAccount.login == login))
            if a is None:
                return False
            if (a.reg_state, a.reg_contact) != (state, contact):
                a.reg_state, a.reg_contact, a.reg_updated_at = state, contact, self._clock()
            return True

    # ---- company numbers --------------------------------------------------------------

    def add_number(self, number, employee, ring_timeout=30, fallback=None) -> Result:
        with self._change() as s:
            label = f"number {shown(number)}"
            number = free_number(s, label, number, self.country)
            label = f"number {number}"
            target = _number_target(s, label, employee)
            check_ring_timeout(label, ring_timeout)
            fb_employee, fb_phone = fallback_target(s, label, fallback, number, self.country)
            n = PhoneNumber(number=number, employee=target, ring_timeout=ring_timeout,
                            fallback_employee=fb_employee, fallback_phone=fb_phone,
                            created_at=self._clock())
            s.add(n)
            s.flush()
            return Result(number_view(n))

    def edit_number(self, number, /, **changes) -> Result:
        with self._change() as s:
            n = self._get(s, "number", number)
            label = f"number {n.number}"
            check_editable(label, changes, ("employee", "ring_timeout", "fallback"))
            if "employee" in changes:
                n.employee = _number_target(s, label, changes["employee"])
            if "ring_timeout" in changes:
                n.ring_timeout = check_ring_timeout(label, changes["ring_timeout"])
            if "fallback" in changes:
                n.fallback_employee, n.fallback_phone = fallback_target(
                    s, label, changes["fallback"], n.number, self.country)
            s.flush()
            return Result(number_view(n))

    def delete_number(self, number, force=False) -> Result:
        with self._change() as s:
            n = self._get(s, "number", number)
            result = Result(number_view(n))
            result.detached = self._release(s, "number", n, force)  # e.g. outgoing caller-ID
            s.delete(n)
            return result

    def list_numbers(self) -> list[dict]:
        with self._sessions() as s:
            q = select(PhoneNumber).options(selectinload(PhoneNumber.employee),
                                            selectinload(PhoneNumber.fallback_employee))
            return [number_view(n) for n in s.scalars(q.order_by(PhoneNumber.number))]

    def get_number(self, number) -> dict:
        with self._sessions() as s:
            return number_view(self._get(s, "number", number))

    # ---- what the daemon reads --------------------------------------------------------

    def version(self) -> int:
        """Read it BEFORE `snapshot()`: a change landing in between then shows up as a newer
        version at the next poll, never as a missed one."""
        with self._sessions() as s:
            return s.scalar(select(Meta.value).where(Meta.key == VERSION_KEY)) or 0

    def snapshot(self) -> domain.Directory:
        with self._sessions() as s:
            employees = list(s.scalars(employees_query().order_by(Employee.full_name)))
            numbers = s.scalars(select(PhoneNumber).order_by(PhoneNumber.number).options(
                selectinload(PhoneNumber.employee), selectinload(PhoneNumber.fallback_employee)))
            accounts = s.scalars(select(SipAccount).order_by(SipAccount.login)
                                 .options(selectinload(SipAccount.employee)))
            departments = s.scalars(select(Department).order_by(Department.name))
            return domain.Directory(
                employees=tuple(domain_employee(e) for e in employees),
                # A number with neither target nor fallback rings nobody: the routing code
                # treats it as not in service. CompanyNumber.employee is a str: "" = nobody.
                numbers=tuple(domain.CompanyNumber(n.number, name_of(n.employee),
                                                   n.ring_timeout, n.fallback)
                              for n in numbers if n.employee or n.fallback),
                sip_accounts=tuple(domain.SipAccount(a.login, a.password,
                                                     name_of(a.employee) or None, a.on_pc)
                                   for a in accounts),
                departments=tuple(domain.Department(d.name, d.extension) for d in departments),
            )

    # ---- usages ---------------------------------------------------------------------

    def register_usage_checker(self, kind: str, find: Finder, detach: Detacher | None = None):
        """`kind`: employee | department | sip_account | number. Without `detach`, a
        force-delete of something `find` reports is refused (it would leave a dangling
        reference)."""
        self._checkers[check_kind(kind)].append((find, detach))

    def register_rename_hook(self, kind: str, hook: RenameHook) -> None:
        """`kind`: employee | department (the directory objects others name by their name;
        SIP logins and numbers cannot be renamed)."""
        if kind not in self._rename_hooks:
            raise ValueError(f"kind must be one of {', '.join(self._rename_hooks)}, not {kind!r}")
        self._rename_hooks[kind].append(hook)

    def usages(self, kind, name) -> list[str]:
        with self._sessions() as s:
            obj = self._get(s, check_kind(kind), name)
            return [u for find, _ in self._checkers[kind] for u in find(s, obj)]

    # ---- internals --------------------------------------------------------------------

    @staticmethod
    def bump_version(s: Session) -> None:
        """Marks the directory changed, so a running daemon reloads it. Make it the first
        statement of a write transaction: SQLite then takes its write lock at once (waiting
        out another writer) rather than failing later when the transaction would upgrade,
        and every writer (directory, schemes) takes the locks in the same order."""
        bumped = s.execute(update(Meta).where(Meta.key == VERSION_KEY)
                           .values(value=Meta.value + 1)).rowcount
        if not bumped:
            s.add(Meta(key=VERSION_KEY, value=1))

    @contextmanager
    def _change(self) -> Iterator[Session]:
        with self._sessions.begin() as s:
            self.bump_version(s)
            yield s

    def _renamed(self, s, kind: str, old: str, new: str) -> None:
        if old != new:
            for hook in self._rename_hooks[kind]:
                hook(s, old, new)

    def _release(self, s, kind, obj, force) -> list[str]:
        """Refuse (listing every usage) or, with force, detach everything that uses `obj`."""
        _model, column, what, _key = KINDS[kind]
        label = f"{what} {getattr(obj, column.key)!r}"
        found = [(find(s, obj), detach) for find, detach in self._checkers[kind]]
        usages = [u for us, _ in found for u in us]
        if usages and not force:
            raise DirectoryError(label, "usages", "still used: " + "; ".join(usages)
                                 + " (delete with force to detach)", code="in_use", usages=usages)
        stuck = [u for us, detach in found if detach is None for u in us]
        if stuck:
            raise DirectoryError(label, "usages", "still used and cannot be detached: "
                                 + "; ".join(stuck), code="in_use", usages=stuck)
        detached = [d for us, detach in found if us for d in detach(s, obj)]
        s.flush()
        return detached

    def _get(self, s, kind, value):
        return get(s, kind, value, self.country)

    def _free_extension(self, s, label, extension, own=None) -> str:
        return free_extension(s, label, extension, self._feature_codes, own)

    def _employee_view(self, e: Employee) -> dict:
        return employee_view(e, self._clock())


def _number_target(s, label, employee) -> Employee:
    """A company number rings an employee: required on every path (CLI, API, import), or
    callers would hear "not in service". Only a forced delete of the employee clears it."""
    if employee is None:
        raise DirectoryError(label, "employee", "required: the employee the number rings")
    return employee_ref(s, label, "employee", employee)


def set_contacts(e: Employee, primary: list[str], other: list[str]) -> None:
    # Reuse rows whose value stays: the unit of work inserts before it deletes, so dropping
    # and re-adding the same value would trip the (employee, kind, value) unique constraint.
    existing = {(c.kind, c.value): c for c in e.contacts}
    wanted = [("phone", v, "primary") for v in primary] + [
        ("sip_uri" if SIP_URI_RE.match(v) else "phone", v, "other") for v in other]
    contacts = []
    for position, (kind, value, role) in enumerate(wanted):
        c = existing.pop((kind, value), None) or EmployeeContact(kind=kind, value=value)
        c.role, c.position = role, position
        contacts.append(c)
    e.contacts = contacts
