"""What the operator workspace shows, as pure rules: a colleague's availability, how many
of a department's people are available, and who is told of a call's live events.

Availability, from what routing itself looks at (so the green dot means "a call would
ring them now"): offline (their own toggle), on a call, reachable (a registered SIP
account or a phone number), or unreachable (online, but nothing would ring).

Live call events follow the call log's rule for who may see a call (call_access.py), on
the people the call concerns (rung, answered, dialled out): admins hear of every call,
managers of their department's, operators of their own.
"""
from __future__ import annotations

from .directory import Directory, Employee, Presence

STATES = ("available", "on_call", "unreachable", "offline")


def availability(employee: Employee, presence: Presence) -> str:
    if not employee.online:
        return "offline"
    if presence.busy_now(employee.name):
        return "on_call"
    if employee.phone_numbers or any(presence.sip_reachable(x) for x in employee.sip_logins):
        return "available"
    return "unreachable"


def colleagues(directory: Directory, presence: Presence) -> list[dict]:
    """Every employee as a colleague sees them: enough to call or transfer to them."""
    return [{"name": e.name, "extension": e.extension, "department": e.department,
             "online": e.online, "state": availability(e, presence)}
            for e in sorted(directory.employees, key=lambda e: e.name.casefold())]


def departments(directory: Directory, presence: Presence) -> list[dict]:
    """Every department with how many of its people a call to it would ring now."""
    return [{"name": d.name, "extension": d.extension,
             "members": len(people := directory.members(d.name)),
             "available": sum(availability(e, presence) == "available" for e in people)}
            for d in sorted(directory.departments, key=lambda d: d.name.casefold())]


def hears_of(level: str, me: str, parties: frozenset[str], directory: Directory) -> bool:
    """Whether `me` (at access `level`) is told of a live call concerning `parties`."""
    if level == "admin" or me in parties:
        return True
    if level != "manager":
        return False
    mine = directory.employee(me)
    if mine is None or mine.department is None:
        return False
    return any((e := directory.employee(p)) is not None and e.department == mine.department
               for p in parties)
