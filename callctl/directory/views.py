"""Directory rows as the service hands them out: JSON-ready dicts (never a secret) and the
routing code's domain objects."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..domain import directory as domain
from ..store.directory_models import Department, Employee, PhoneNumber, SipAccount


def employees_query():
    return select(Employee).options(selectinload(Employee.contacts),
                                    selectinload(Employee.sip_accounts),
                                    selectinload(Employee.department))


def employee_view(e: Employee, now: datetime) -> dict:
    primary, other = current_contacts(e)
    if e.password_hash:
        invitation = "accepted"
    elif e.invite_token_hash:
        invitation = "pending" if utc(e.invite_expires_at) > now else "expired"
    else:
        invitation = "none"
    return {
        "full_name": e.full_name,
        "email": e.email,
        "extension": e.extension,
        "department": name_of(e.department) or None,
        "access_level": e.access_level,
        "online": e.online,
        "call_waiting": e.call_waiting,
        # Availability: online and a primary contact that can ring (registered SIP
        # account, or any phone number: the carrier decides).
        "reachable": e.online and (bool(primary) or any(
            a.reg_state == "online" for a in e.sip_accounts)),
        "phone_numbers": primary,
        "other_contacts": other,
        "sip_accounts": [a.login for a in e.sip_accounts],
        "invitation": invitation,
        "created_at": iso(e.created_at),
    }


def department_view(d: Department) -> dict:
    return {"name": d.name, "extension": d.extension,
            "members": [e.full_name for e in d.employees], "created_at": iso(d.created_at)}


def sip_view(a: SipAccount) -> dict:
    return {"login": a.login, "employee": name_of(a.employee) or None, "on_pc": a.on_pc,
            "on_mobile": a.on_mobile, "reg_state": a.reg_state, "reg_contact": a.reg_contact,
            "reg_updated_at": iso(a.reg_updated_at), "created_at": iso(a.created_at)}


def number_view(n: PhoneNumber) -> dict:
    return {"number": n.number, "employee": name_of(n.employee) or None,
            "ring_timeout": n.ring_timeout, "fallback": n.fallback,
            "created_at": iso(n.created_at)}


def domain_employee(e: Employee) -> domain.Employee:
    primary, other = current_contacts(e)
    return domain.Employee(e.full_name, e.extension, tuple(a.login for a in e.sip_accounts),
                           tuple(primary), name_of(e.department) or None, e.online, e.email,
                           tuple(other), e.call_waiting)


def current_contacts(e: Employee) -> tuple[list[str], list[str]]:
    primary = [c.value for c in e.contacts if c.role == "primary" and c.kind == "phone"]
    return primary, [c.value for c in e.contacts if c.role == "other"]


def name_of(obj) -> str:
    if obj is None:
        return ""
    return obj.full_name if isinstance(obj, Employee) else obj.name


def utc(dt: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every timestamp we store is UTC.
    return dt.replace(tzinfo=timezone.utc) if dt is not None and dt.tzinfo is None else dt


def iso(dt: datetime | None) -> str | None:
    return utc(dt).isoformat() if dt is not None else None
