"""What Asterisk rings for a company number when the daemon is absent (see dialplan/)."""
from __future__ import annotations

from .directory import Directory
from .flow import Target


def fallback_targets(directory: Directory, number: str) -> list[Target]:
    """The number's fallback (an employee or a phone number), else its employee: every
    primary contact, whatever its state now (Asterisk decides when it dials)."""
    target = directory.number(number)
    if target is None:
        return []
    who = target.fallback or target.employee
    employee = directory.employee(who) if who else None
    if employee is not None:
        return [*(Target("sip", login, employee.name) for login in employee.sip_logins),
                *(Target("phone", n, employee.name) for n in employee.phone_numbers)]
    return [Target("phone", who)] if who else []
