"""The directory's service layer: every rule about employees, departments, SIP accounts and
company numbers, over the database. The CLI, the HTTP API and the YAML import all call it.

Synchronous (the daemon calls it in a thread). A change runs in one transaction that first
bumps `directory_version` (which, on SQLite, takes the write lock before anything is read, so
checks and writes see the same data), then validates everything, then writes. A refusal
raises `DirectoryError` and the transaction rolls back: nothing changes, not even the version.
Output is plain dicts, never ORM objects, and never a secret.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import string
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from .. import log
from ..domain import directory as domain
from ..store.directory_models import (ACCESS_LEVELS, REG_STATES, Department, Employee,
                                      EmployeeContact, Meta, PhoneNumber, SipAccount)
from .errors import DirectoryError

EMAIL_RE = re.compile(r"^[^@\s]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
DIAL_RE = re.compile(r"^\+?[0-9]{2,20}$")
EXTENSION_RE = re.compile(r"^[0-9]{2,8}$")
LOGIN_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
SIP_URI_RE = re.compile(r"^sips?:[^@\s]+@[^@\s]+$")
INVITATION_TTL = timedelta(hours=72)
MIN_PASSWORD = 8
VERSION_KEY = "directory_version"

# kind -> (table, identifying column, how messages name it, the identifying field)
_KINDS = {
    "employee": (Employee, Employee.full_name, "employee", "full_name"),
    "department": (Department, Department.name, "department", "name"),
    "sip_account": (SipAccount, SipAccount.login, "SIP account", "login"),
    "number": (PhoneNumber, PhoneNumber.number, "number", "number"),
}

# find(session, obj) -> ["number +15550100 rings it", ...]; detach(session, obj) -> what it
# detached. Later issues (schemes, queues, IVRs, CRM mappings) register theirs.
Finder = Callable[[Session, object], list[str]]
Detacher = Callable[[Session, object], list[str]]
# rename(session, old, new): whoever refers to an employee or department by name follows a
# rename, in the rename's own transaction.
RenameHook = Callable[[Session, str, str], None]


@dataclass
class Result:
    object: dict
    messages: list[str] = field(default_factory=list)
    secret: str | None = None  # a new SIP password: shown once, never listed
    invitation_token: str | None = None
    detached: list[str] = field(default_factory=list)


class DirectoryService:
    def __init__(self, sessions: sessionmaker, *, mailer=None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 seats_included: int = 3, feature_codes: tuple[str, ...] = ("*", "#")):
        self._sessions = sessions
        self._mailer = mailer
        self._clock = clock
        self._seats = seats_included
        self._feature_codes = tuple(feature_codes)
        self._checkers: dict[str, list[tuple[Finder, Detacher | None]]] = {
            "employee": [(_numbers_ringing, _detach_numbers), (_owned_accounts, _detach_accounts)],
            "department": [(_members, _detach_members)],
            "sip_account": [],
            "number": [],
        }
        self._rename_hooks: dict[str, list[RenameHook]] = {"employee": [], "department": []}

    # ---- employees ------------------------------------------------------------------

    def add_employee(self, full_name, email, extension, department=None, access_level="operator",
                     phone_numbers=(), other_contacts=(), online=True) -> Result:
        with self._change() as s:
            name = _free_name(s, "employee", full_name)
            label = f"employee {name!r}"
            email = _free_email(s, label, email)
            extension = self._free_extension(s, label, extension)
            dept = _department_ref(s, label, department)
            _choice(label, "access_level", access_level, ACCESS_LEVELS)
            contacts = _contacts(label, phone_numbers, other_contacts)
            _flag(label, "online", online)
            token = secrets.token_urlsafe(32)
            e = Employee(full_name=name, email=email, extension=extension, department=dept,
                         access_level=access_level, online=online, created_at=self._clock(),
                         invite_token_hash=_token_hash(token),
                         invite_expires_at=self._clock() + INVITATION_TTL)
            _set_contacts(e, *contacts)
            s.add(e)
            s.flush()
            result = Result(self._employee_view(e), invitation_token=token)
            count = s.scalar(select(func.count()).select_from(Employee))
            if count > self._seats:
                extra = count - self._seats
                result.messages.append(
                    f"{count} employees: {extra} seat{'s' if extra > 1 else ''} above the "
                    f"{self._seats} included {'are' if extra > 1 else 'is'} billed")
        self._send_invitation(result, email, name, token)
        return result

    def edit_employee(self, full_name, /, **changes) -> Result:
        """`full_name` is positional-only, so `full_name=` in `changes` renames."""
        with self._change() as s:
            e = _get(s, "employee", full_name)
            label = f"employee {e.full_name!r}"
            if "email" in changes and changes["email"] != e.email:
                raise DirectoryError(label, "email", "e-mail cannot be changed after creation: "
                                     "create a new profile for the new address")
            changes.pop("email", None)
            _editable(label, changes, ("full_name", "extension", "department", "access_level",
                                       "phone_numbers", "other_contacts", "online"))
            if "full_name" in changes:
                changes["full_name"] = _free_name(s, "employee", changes["full_name"], own=e)
            if "extension" in changes:
                changes["extension"] = self._free_extension(s, label, changes["extension"], own=e)
            if "department" in changes:
                changes["department"] = _department_ref(s, label, changes["department"])
            if "access_level" in changes:
                _choice(label, "access_level", changes["access_level"], ACCESS_LEVELS)
            if "online" in changes:
                _flag(label, "online", changes["online"])
            contacts = None
            if "phone_numbers" in changes or "other_contacts" in changes:
                primary, other = _current_contacts(e)
                contacts = _contacts(label, changes.pop("phone_numbers", primary),
                                     changes.pop("other_contacts", other))
            old_name = e.full_name
            for key, value in changes.items():
                setattr(e, key, value)
            if contacts is not None:
                _set_contacts(e, *contacts)
            s.flush()
            self._renamed(s, "employee", old_name, e.full_name)
            return Result(self._employee_view(e))

    def delete_employee(self, full_name, force=False) -> Result:
        with self._change() as s:
            e = _get(s, "employee", full_name)
            result = Result(self._employee_view(e))
            result.detached = self._release(s, "employee", e, force)
            s.delete(e)
            return result

    def list_employees(self) -> list[dict]:
        with self._sessions() as s:
            return [self._employee_view(e) for e in s.scalars(
                _employees_query().order_by(Employee.full_name))]

    def get_employee(self, full_name) -> dict:
        with self._sessions() as s:
            return self._employee_view(_get(s, "employee", full_name))

    # ---- invitations and passwords ----------------------------------------------------

    def invite(self, full_name) -> Result:
        """A fresh one-time token (the previous one stops working), e.g. after expiry."""
        with self._sessions.begin() as s:
            e = _get(s, "employee", full_name)
            token = secrets.token_urlsafe(32)
            e.invite_token_hash = _token_hash(token)
            e.invite_expires_at = self._clock() + INVITATION_TTL
            result = Result(self._employee_view(e), invitation_token=token)
            email, name = e.email, e.full_name
        self._send_invitation(result, email, name, token)
        return result

    def accept_invitation(self, token, password) -> Result:
        with self._sessions.begin() as s:
            e = None
            if isinstance(token, str) and token:
                q = select(Employee).where(Employee.invite_token_hash == _token_hash(token))
                e = s.scalar(q)
            if e is None:
                raise DirectoryError("invitation", "token", "unknown or already used",
                                     code="not_found")
            if _utc(e.invite_expires_at) <= self._clock():
                raise DirectoryError("invitation", "token",
                                     "expired: ask an admin for a new invitation")
            if not isinstance(password, str) or len(password) < MIN_PASSWORD:
                raise DirectoryError(f"employee {e.full_name!r}", "password",
                                     f"must be at least {MIN_PASSWORD} characters")
            e.password_hash = hash_password(password)
            e.invite_token_hash = e.invite_expires_at = None  # burnt: single use
            return Result(self._employee_view(e))

    def authenticate(self, email, password) -> dict | None:
        """The employee whose e-mail and password match, else None (for the API's login)."""
        if not isinstance(email, str) or not isinstance(password, str):
            return None
        with self._sessions() as s:
            e = s.scalar(_employees_query().where(func.lower(Employee.email) == func.lower(email)))
            if e is None or not e.password_hash or not verify_password(password, e.password_hash):
                return None
            return self._employee_view(e)

    # ---- departments ----------------------------------------------------------------

    def add_department(self, name, extension) -> Result:
        with self._change() as s:
            name = _free_name(s, "department", name)
            label = f"department {name!r}"
            d = Department(name=name, extension=self._free_extension(s, label, extension),
                           created_at=self._clock())
            s.add(d)
            s.flush()
            return Result(_department_view(d))

    def edit_department(self, name, /, **changes) -> Result:
        """`name` is positional-only, so `name=` in `changes` renames."""
        with self._change() as s:
            d = _get(s, "department", name)
            label = f"department {d.name!r}"
            _editable(label, changes, ("name", "extension"))
            if "name" in changes:
                changes["name"] = _free_name(s, "department", changes["name"], own=d)
            if "extension" in changes:
                changes["extension"] = self._free_extension(s, label, changes["extension"], own=d)
            old_name = d.name
            for key, value in changes.items():
                setattr(d, key, value)
            s.flush()
            self._renamed(s, "department", old_name, d.name)
            return Result(_department_view(d))

    def delete_department(self, name, force=False) -> Result:
        with self._change() as s:
            d = _get(s, "department", name)
            result = Result(_department_view(d))
            result.detached = self._release(s, "department", d, force)
            s.delete(d)
            return result

    def list_departments(self) -> list[dict]:
        with self._sessions() as s:
            q = select(Department).options(selectinload(Department.employees))
            return [_department_view(d) for d in s.scalars(q.order_by(Department.name))]

    def get_department(self, name) -> dict:
        with self._sessions() as s:
            return _department_view(_get(s, "department", name))

    # ---- SIP accounts -----------------------------------------------------------------

    def add_sip_account(self, employee=None, on_pc=False, on_mobile=False, login=None) -> Result:
        with self._change() as s:
            label = f"SIP account {login!r}" if login is not None else "SIP account"
            owner = _employee_ref(s, label, "employee", employee)
            _flag(label, "on_pc", on_pc)
            _flag(label, "on_mobile", on_mobile)
            login = _new_login(s, owner) if login is None else _free_login(s, label, login)
            password = new_sip_password()
            a = SipAccount(login=login, password=password, employee=owner, on_pc=on_pc,
                           on_mobile=on_mobile, created_at=self._clock(), reg_state="offline")
            s.add(a)
            s.flush()
            return Result(_sip_view(a), secret=password)

    def edit_sip_account(self, login, /, **changes) -> Result:
        with self._change() as s:
            a = _get(s, "sip_account", login)
            label = f"SIP account {a.login!r}"
            _editable(label, changes, ("employee", "on_pc", "on_mobile", "reset_password"))
            if "employee" in changes:
                changes["employee"] = _employee_ref(s, label, "employee", changes["employee"])
            for key in ("on_pc", "on_mobile", "reset_password"):
                if key in changes:
                    _flag(label, key, changes[key])
            secret = new_sip_password() if changes.pop("reset_password", False) else None
            for key, value in changes.items():
                setattr(a, key, value)
            if secret:
                a.password = secret
            s.flush()
            return Result(_sip_view(a), secret=secret)

    def delete_sip_account(self, login, force=False) -> Result:
        with self._change() as s:
            a = _get(s, "sip_account", login)
            result = Result(_sip_view(a))
            result.detached = self._release(s, "sip_account", a, force)
            s.delete(a)
            return result

    def list_sip_accounts(self) -> list[dict]:
        with self._sessions() as s:
            q = select(SipAccount).options(selectinload(SipAccount.employee))
            return [_sip_view(a) for a in s.scalars(q.order_by(SipAccount.login))]

    def get_sip_account(self, login) -> dict:
        with self._sessions() as s:
            return _sip_view(_get(s, "sip_account", login))

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
            label = f"number {number!r}"
            number = _free_number(s, label, number)
            target = _employee_ref(s, label, "employee", employee)
            _ring_timeout(label, ring_timeout)
            fb_employee, fb_phone = _fallback(s, label, fallback, number)
            n = PhoneNumber(number=number, employee=target, ring_timeout=ring_timeout,
                            fallback_employee=fb_employee, fallback_phone=fb_phone,
                            created_at=self._clock())
            s.add(n)
            s.flush()
            return Result(_number_view(n))

    def edit_number(self, number, /, **changes) -> Result:
        with self._change() as s:
            n = _get(s, "number", number)
            label = f"number {n.number!r}"
            _editable(label, changes, ("employee", "ring_timeout", "fallback"))
            if "employee" in changes:
                n.employee = _employee_ref(s, label, "employee", changes["employee"])
            if "ring_timeout" in changes:
                n.ring_timeout = _ring_timeout(label, changes["ring_timeout"])
            if "fallback" in changes:
                n.fallback_employee, n.fallback_phone = _fallback(s, label, changes["fallback"],
                                                                  n.number)
            s.flush()
            return Result(_number_view(n))

    def delete_number(self, number, force=False) -> Result:
        with self._change() as s:
            n = _get(s, "number", number)
            result = Result(_number_view(n))
            result.detached = self._release(s, "number", n, force)  # e.g. outgoing caller-ID
            s.delete(n)
            return result

    def list_numbers(self) -> list[dict]:
        with self._sessions() as s:
            q = select(PhoneNumber).options(selectinload(PhoneNumber.employee),
                                            selectinload(PhoneNumber.fallback_employee))
            return [_number_view(n) for n in s.scalars(q.order_by(PhoneNumber.number))]

    def get_number(self, number) -> dict:
        with self._sessions() as s:
            return _number_view(_get(s, "number", number))

    # ---- what the daemon reads --------------------------------------------------------

    def version(self) -> int:
        """Read it BEFORE `snapshot()`: a change landing in between then shows up as a newer
        version at the next poll, never as a missed one."""
        with self._sessions() as s:
            return s.scalar(select(Meta.value).where(Meta.key == VERSION_KEY)) or 0

    def snapshot(self) -> domain.Directory:
        with self._sessions() as s:
            employees = list(s.scalars(_employees_query().order_by(Employee.full_name)))
            numbers = s.scalars(select(PhoneNumber).order_by(PhoneNumber.number).options(
                selectinload(PhoneNumber.employee), selectinload(PhoneNumber.fallback_employee)))
            accounts = s.scalars(select(SipAccount).order_by(SipAccount.login)
                                 .options(selectinload(SipAccount.employee)))
            departments = s.scalars(select(Department).order_by(Department.name))
            return domain.Directory(
                employees=tuple(_domain_employee(e) for e in employees),
                # A number with neither target nor fallback rings nobody: the routing code
                # treats it as not in service. CompanyNumber.employee is a str: "" = nobody.
                numbers=tuple(domain.CompanyNumber(n.number, _name(n.employee), n.ring_timeout,
                                                   n.fallback)
                              for n in numbers if n.employee or n.fallback),
                sip_accounts=tuple(domain.SipAccount(a.login, a.password,
                                                     _name(a.employee) or None)
                                   for a in accounts),
                departments=tuple(domain.Department(d.name, d.extension) for d in departments),
            )

    # ---- usages ---------------------------------------------------------------------

    def register_usage_checker(self, kind: str, find: Finder, detach: Detacher | None = None):
        """`kind`: employee | department | sip_account | number. Without `detach`, a
        force-delete of something `find` reports is refused (it would leave a dangling
        reference)."""
        self._checkers[_kind(kind)].append((find, detach))

    def register_rename_hook(self, kind: str, hook: RenameHook) -> None:
        """`kind`: employee | department (the directory objects others name by their name;
        SIP logins and numbers cannot be renamed)."""
        if kind not in self._rename_hooks:
            raise ValueError(f"kind must be one of {', '.join(self._rename_hooks)}, not {kind!r}")
        self._rename_hooks[kind].append(hook)

    def usages(self, kind, name) -> list[str]:
        with self._sessions() as s:
            obj = _get(s, _kind(kind), name)
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
        _model, column, what, _key = _KINDS[kind]
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

    def _free_extension(self, s, label, extension, own=None) -> str:
        if not isinstance(extension, str) or not EXTENSION_RE.match(extension.strip()):
            raise DirectoryError(label, "extension", "must be 2 to 8 digits")
        extension = extension.strip()
        for code in self._feature_codes:
            if code and extension.startswith(code):
                raise DirectoryError(label, "extension",
                                     f"starts with {code!r}, which begins a feature code")
        for model, what in ((Employee, "employee"), (Department, "department")):
            other = s.scalar(select(model).where(model.extension == extension))
            if other is not None and other is not own:
                raise DirectoryError(label, "extension", f"already used by {what} "
                                     f"{_name(other)!r}", code="conflict")
        if s.scalar(select(PhoneNumber.id).where(PhoneNumber.number == extension)):
            raise DirectoryError(label, "extension", f"equals company number {extension}",
                                 code="conflict")
        return extension

    def _send_invitation(self, result: Result, email: str, name: str, token: str) -> None:
        """After the commit: a mail for an employee that was never created would be worse
        than a mail that failed (the token is in the result; `invite` sends a new one)."""
        if self._mailer is None:
            result.messages.append(f"no mailer configured: hand the invitation token to {name}")
            return
        try:
            self._mailer.send_invitation(to=email, name=name, token=token)
        except Exception as exc:  # noqa: BLE001 - any mail failure is reported, not raised
            log.event("directory.invitation_failed", employee=name, error=exc)
            result.messages.append(f"the invitation e-mail to {email} failed: {exc}")
        else:
            result.messages.append(f"invitation sent to {email}")

    def _employee_view(self, e: Employee) -> dict:
        primary, other = _current_contacts(e)
        now = self._clock()
        if e.password_hash:
            invitation = "accepted"
        elif e.invite_token_hash:
            invitation = "pending" if _utc(e.invite_expires_at) > now else "expired"
        else:
            invitation = "none"
        return {
            "full_name": e.full_name,
            "email": e.email,
            "extension": e.extension,
            "department": _name(e.department) or None,
            "access_level": e.access_level,
            "online": e.online,
            # Availability: online and a primary contact that can ring (registered SIP
            # account, or any phone number: the carrier decides).
            "reachable": e.online and (bool(primary) or any(
                a.reg_state == "online" for a in e.sip_accounts)),
            "phone_numbers": primary,
            "other_contacts": other,
            "sip_accounts": [a.login for a in e.sip_accounts],
            "invitation": invitation,
            "created_at": _iso(e.created_at),
        }


# ---- built-in usage checkers ----------------------------------------------------------

def _numbers_ringing(s, e: Employee) -> list[str]:
    rings = s.scalars(select(PhoneNumber.number).where(PhoneNumber.employee_id == e.id))
    falls = s.scalars(select(PhoneNumber.number).where(PhoneNumber.fallback_employee_id == e.id))
    return ([f"number {n} rings it" for n in rings.all()]
            + [f"number {n} falls back to it" for n in falls.all()])


def _detach_numbers(s, e: Employee) -> list[str]:
    done = []
    q = select(PhoneNumber).where(or_(PhoneNumber.employee_id == e.id,
                                      PhoneNumber.fallback_employee_id == e.id))
    for n in s.scalars(q.order_by(PhoneNumber.number)):
        if n.employee_id == e.id:
            n.employee = None
            done.append(f"number {n.number}: employee cleared")
        if n.fallback_employee_id == e.id:
            n.fallback_employee = None
            done.append(f"number {n.number}: fallback cleared")
    return done


def _owned_accounts(s, e: Employee) -> list[str]:
    return [f"SIP account {a.login!r} belongs to it" for a in e.sip_accounts]


def _detach_accounts(s, e: Employee) -> list[str]:
    done = [f"SIP account {a.login!r}: employee cleared" for a in e.sip_accounts]
    for a in list(e.sip_accounts):
        a.employee = None  # kept, so it can be given to the employee's successor
    return done


def _members(s, d: Department) -> list[str]:
    return [f"employee {e.full_name!r} is in it" for e in d.employees]


def _detach_members(s, d: Department) -> list[str]:
    done = [f"employee {e.full_name!r}: department cleared" for e in d.employees]
    for e in list(d.employees):
        e.department = None
    return done


# ---- validation helpers ---------------------------------------------------------------

def _free_name(s, kind, value, own=None) -> str:
    model, column, what, key = _KINDS[kind]
    if not isinstance(value, str) or not value.strip():
        raise DirectoryError(what, key, "required")
    value = value.strip()
    label = f"{what} {value!r}"
    if len(value) > 128:
        raise DirectoryError(label, key, "at most 128 characters")
    other = s.scalar(select(model).where(column == value))
    if other is not None and other is not own:
        raise DirectoryError(label, key, f"another {what} already has this name",
                             code="conflict")
    return value


def _free_email(s, label, email) -> str:
    if not isinstance(email, str) or not email.strip():
        raise DirectoryError(label, "email", "required")
    email = email.strip()
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise DirectoryError(label, "email", f"{email!r} is not a valid e-mail address")
    domain_part = email.rsplit("@", 1)[1].lower()
    if domain_part.endswith(".ru"):
        raise DirectoryError(label, "email", "addresses in the .ru domain are not accepted")
    other = s.scalar(select(Employee).where(func.lower(Employee.email) == func.lower(email)))
    if other is not None:
        raise DirectoryError(label, "email", f"already used by employee {other.full_name!r}",
                             code="conflict")
    return email


def _free_number(s, label, number) -> str:
    if not isinstance(number, str) or not DIAL_RE.match(number.strip()):
        raise DirectoryError(label, "number", "must be digits with an optional leading '+'")
    number = number.strip()
    if s.scalar(select(PhoneNumber.id).where(PhoneNumber.number == number)):
        raise DirectoryError(label, "number", "already a company number", code="conflict")
    for model, what in ((Employee, "employee"), (Department, "department")):
        other = s.scalar(select(model).where(model.extension == number))
        if other is not None:
            raise DirectoryError(label, "number", f"equals the extension of {what} "
                                 f"{_name(other)!r}", code="conflict")
    return number


def _new_login(s, owner: Employee | None) -> str:
    base = _slug(owner.full_name) if owner else "sip"
    alphabet = string.ascii_lowercase + string.digits
    for _ in range(20):
        login = f"{base}-{''.join(secrets.choice(alphabet) for _ in range(4))}"
        if not s.scalar(select(SipAccount.id).where(SipAccount.login == login)):
            return login
    raise DirectoryError("SIP account", "login", "no free login found: give one")


def _kind(kind: str) -> str:
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {', '.join(_KINDS)}, not {kind!r}")
    return kind


def _get(s, kind, value):
    model, column, what, key = _KINDS[kind]
    obj = s.scalar(select(model).where(column == value)) if isinstance(value, str) else None
    if obj is None:
        raise DirectoryError(f"{what} {value!r}", key, "not found", code="not_found")
    return obj


def _employee_ref(s, label, key, name) -> Employee | None:
    if name is None:
        return None
    e = s.scalar(select(Employee).where(Employee.full_name == name))
    if e is None:
        raise DirectoryError(label, key, f"no employee named {name!r}")
    return e


def _department_ref(s, label, name) -> Department | None:
    if name is None:
        return None
    d = s.scalar(select(Department).where(Department.name == name))
    if d is None:
        raise DirectoryError(label, "department", f"no department named {name!r}")
    return d


def _free_login(s, label, login) -> str:
    if not isinstance(login, str) or not LOGIN_RE.match(login):
        raise DirectoryError(label, "login", "letters, digits, '.', '_' and '-' only, 1 to 40")
    if s.scalar(select(SipAccount.id).where(SipAccount.login == login)):
        raise DirectoryError(label, "login", "already used by another SIP account",
                             code="conflict")
    return login


def _fallback(s, label, value, number) -> tuple[Employee | None, str | None]:
    """An employee's name (looked up first) or a phone number; None: no fallback."""
    if value is None:
        return None, None
    if isinstance(value, str):
        e = s.scalar(select(Employee).where(Employee.full_name == value))
        if e is not None:
            return e, None
        if value == number:
            raise DirectoryError(label, "fallback", "cannot be the number itself (a loop)")
        if DIAL_RE.match(value):
            return None, value
    raise DirectoryError(label, "fallback", f"{value!r} is neither an employee nor a phone number")


def _ring_timeout(label, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 600:
        raise DirectoryError(label, "ring_timeout", "must be a whole number of seconds, 1 to 600")
    return value


def _choice(label, key, value, allowed) -> None:
    if value not in allowed:
        raise DirectoryError(label, key, f"must be one of {', '.join(allowed)}")


def _flag(label, key, value) -> None:
    if not isinstance(value, bool):
        raise DirectoryError(label, key, "must be true or false")


def _editable(label, changes, allowed) -> None:
    for key in changes:
        if key not in allowed:
            raise DirectoryError(label, key, f"cannot be edited (editable: {', '.join(allowed)})")


def _contacts(label, phone_numbers, other_contacts) -> tuple[list[str], list[str]]:
    for key, values in (("phone_numbers", phone_numbers), ("other_contacts", other_contacts)):
        if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
            raise DirectoryError(label, key, "must be a list of strings")
    primary = [v.strip() for v in phone_numbers]
    other = [v.strip() for v in other_contacts]
    for v in primary:
        if not DIAL_RE.match(v):
            raise DirectoryError(label, "phone_numbers", f"{v!r} is not a phone number "
                                 "(digits with an optional leading '+')")
    for v in other:
        if not DIAL_RE.match(v) and not SIP_URI_RE.match(v):
            raise DirectoryError(label, "other_contacts",
                                 f"{v!r} is neither a phone number nor a sip: URI")
    seen = set()
    for key, v in [("phone_numbers", v) for v in primary] + [("other_contacts", v) for v in other]:
        if v in seen:
            raise DirectoryError(label, key, f"{v!r} is given twice")
        seen.add(v)
    return primary, other


def _set_contacts(e: Employee, primary: list[str], other: list[str]) -> None:
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


def _current_contacts(e: Employee) -> tuple[list[str], list[str]]:
    primary = [c.value for c in e.contacts if c.role == "primary" and c.kind == "phone"]
    return primary, [c.value for c in e.contacts if c.role == "other"]


# ---- views and conversions ------------------------------------------------------------

def _employees_query():
    return select(Employee).options(selectinload(Employee.contacts),
                                    selectinload(Employee.sip_accounts),
                                    selectinload(Employee.department))


def _department_view(d: Department) -> dict:
    return {"name": d.name, "extension": d.extension,
            "members": [e.full_name for e in d.employees], "created_at": _iso(d.created_at)}


def _sip_view(a: SipAccount) -> dict:
    return {"login": a.login, "employee": _name(a.employee) or None, "on_pc": a.on_pc,
            "on_mobile": a.on_mobile, "reg_state": a.reg_state, "reg_contact": a.reg_contact,
            "reg_updated_at": _iso(a.reg_updated_at), "created_at": _iso(a.created_at)}


def _number_view(n: PhoneNumber) -> dict:
    return {"number": n.number, "employee": _name(n.employee) or None,
            "ring_timeout": n.ring_timeout, "fallback": n.fallback,
            "created_at": _iso(n.created_at)}


def _domain_employee(e: Employee) -> domain.Employee:
    primary, other = _current_contacts(e)
    return domain.Employee(e.full_name, e.extension, tuple(a.login for a in e.sip_accounts),
                           tuple(primary), _name(e.department) or None, e.online, e.email,
                           tuple(other))


def _name(obj) -> str:
    if obj is None:
        return ""
    return obj.full_name if isinstance(obj, Employee) else obj.name


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", ".", ascii_name.lower()).strip(".")[:30].strip(".") or "sip"


def _utc(dt: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every timestamp we store is UTC.
    return dt.replace(tzinfo=timezone.utc) if dt is not None and dt.tzinfo is None else dt


def _iso(dt: datetime | None) -> str | None:
    return _utc(dt).isoformat() if dt is not None else None


# ---- secrets --------------------------------------------------------------------------

def new_sip_password() -> str:
    return secrets.token_urlsafe(18)  # 24 URL-safe characters, 144 random bits


def _token_hash(token: str) -> str:
    # The token has 256 random bits, so a fast hash is enough and allows an indexed lookup.
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    n, r, p = 2 ** 14, 8, 1
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                                   r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError, AttributeError):
        return False
    return scheme == "scrypt" and hmac.compare_digest(candidate, base64.b64decode(digest))
