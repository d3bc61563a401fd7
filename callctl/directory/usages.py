"""What uses a directory object, so a delete is refused or, forced, detaches it. The
built-in checkers cover the directory's own references; later issues (schemes, queues,
IVRs, CRM mappings) register theirs with the service."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..store.directory_models import Department, Employee, PhoneNumber

# find(session, obj) -> ["number +15550100 rings it", ...]; detach(session, obj) -> what it
# detached.
Finder = Callable[[Session, object], list[str]]
Detacher = Callable[[Session, object], list[str]]
# rename(session, old, new): whoever refers to an employee or department by name follows a
# rename, in the rename's own transaction.
RenameHook = Callable[[Session, str, str], None]


def builtin_checkers() -> dict[str, list[tuple[Finder, Detacher | None]]]:
    return {
        "employee": [(_numbers_ringing, _detach_numbers), (_owned_accounts, _detach_accounts)],
        "department": [(_members, _detach_members)],
        "sip_account": [],
        "number": [],
    }


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
