"""Who and what can be called: employees, departments, SIP accounts, company numbers.

Plain immutable data, no I/O: a snapshot the routing code reads. The store builds it from
the database; lookups used on the call path are O(1).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Employee:
    name: str
    extension: str
    sip_logins: tuple[str, ...] = ()  # primary contacts: SIP accounts
    phone_numbers: tuple[str, ...] = ()  # primary contacts: numbers rung through the trunk
    department: str | None = None
    online: bool = True
    email: str = ""
    other_contacts: tuple[str, ...] = ()  # only used to recognise who called
    call_waiting: bool = False  # rung for a new call while already on one


@dataclass(frozen=True)
class Department:
    name: str
    extension: str


@dataclass(frozen=True)
class SipAccount:
    login: str
    password: str
    employee: str | None = None
    on_pc: bool = False  # the workspace's softphone: registers from a browser (WebRTC)


@dataclass(frozen=True)
class CompanyNumber:
    number: str
    employee: str | None  # None: only a fallback (or, later, a scheme) decides
    ring_timeout: int = 30
    fallback: str | None = None  # employee name or phone number; None: the employee


@dataclass(frozen=True)
class Directory:
    employees: tuple[Employee, ...] = ()
    numbers: tuple[CompanyNumber, ...] = ()
    sip_accounts: tuple[SipAccount, ...] = ()
    departments: tuple[Department, ...] = ()
    _idx: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        members: dict[str, list[Employee]] = {d.name: [] for d in self.departments}
        for e in self.employees:
            if e.department in members:
                members[e.department].append(e)
        object.__setattr__(self, "_idx", {
            "name": {e.name: e for e in self.employees},
            "number": {n.number: n for n in self.numbers},
            "extension": {e.extension: e for e in self.employees},
            "dept_extension": {d.extension: d for d in self.departments},
            "login": {login: e for e in self.employees for login in e.sip_logins},
            "phone": {n: e for e in self.employees for n in e.phone_numbers},
            "members": {k: tuple(v) for k, v in members.items()},
        })

    def employee(self, name: str) -> Employee | None:
        return self._idx["name"].get(name)

    def number(self, number: str) -> CompanyNumber | None:
        return self._idx["number"].get(number)

    def by_extension(self, extension: str) -> Employee | Department | None:
        return self._idx["extension"].get(extension) or self._idx["dept_extension"].get(extension)

    def by_login(self, login: str) -> Employee | None:
        return self._idx["login"].get(login)

    def by_phone(self, number: str) -> Employee | None:
        """Whose primary contact this phone number is."""
        return self._idx["phone"].get(number)

    def members(self, department: str) -> tuple[Employee, ...]:
        return self._idx["members"].get(department, ())


@dataclass(frozen=True)
class Presence:
    """What is reachable right now: registered SIP logins, and who is busy on a call
    (employee names; "sip:LOGIN" for an account nobody owns). Employees' online flag is in
    the directory; phone numbers are always reachable (the carrier decides)."""
    registered: frozenset[str] = frozenset()
    everyone: bool = False  # `simulate --assume-all-reachable`, and before state is known
    busy: frozenset[str] = frozenset()

    def sip_reachable(self, login: str) -> bool:
        return self.everyone or login in self.registered

    def busy_now(self, party: str) -> bool:
        return party in self.busy


ALL_REACHABLE = Presence(everyone=True)
