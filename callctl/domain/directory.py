"""Who and what can be called: employees with their SIP accounts, and company numbers.

Plain immutable data, no I/O. The directory issue will load it from the database; the
routing code only ever sees this shape.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Employee:
    name: str
    extension: str
    sip_logins: tuple[str, ...]


@dataclass(frozen=True)
class SipAccount:
    login: str
    password: str
    employee: str


@dataclass(frozen=True)
class CompanyNumber:
    number: str
    employee: str
    ring_timeout: int
    fallback: str | None = None  # employee name or phone number; None: the employee


@dataclass(frozen=True)
class Directory:
    employees: tuple[Employee, ...] = ()
    numbers: tuple[CompanyNumber, ...] = ()
    sip_accounts: tuple[SipAccount, ...] = ()
    _by_name: dict = field(init=False, repr=False, compare=False)
    _by_number: dict = field(init=False, repr=False, compare=False)
    _by_extension: dict = field(init=False, repr=False, compare=False)
    _by_login: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        # Indexes, so that a lookup on the call path is O(1).
        object.__setattr__(self, "_by_name", {e.name: e for e in self.employees})
        object.__setattr__(self, "_by_number", {n.number: n for n in self.numbers})
        object.__setattr__(self, "_by_extension", {e.extension: e for e in self.employees})
        object.__setattr__(self, "_by_login", {
            login: e for e in self.employees for login in e.sip_logins})

    def employee(self, name: str) -> Employee | None:
        return self._by_name.get(name)

    def number(self, number: str) -> CompanyNumber | None:
        return self._by_number.get(number)

    def by_extension(self, extension: str) -> Employee | None:
        return self._by_extension.get(extension)

    def by_login(self, login: str) -> Employee | None:
        return self._by_login.get(login)
