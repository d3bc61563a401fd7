"""Who may see a call of the log and listen to its voicemail message, by access level:

- admin: every call;
- operator: calls they answered, and calls whose voicemail box tells them (the box names
  them, their department, or their e-mail address);
- manager: what an operator may, for themselves and for every member of their department,
  and calls answered in their department.

"Tells" is read from the box as it is configured now, like the notifications it sends.
"""
from __future__ import annotations

from .directory import Directory
from .voicemail import VoicemailBox

RULES = {
    "admin": "every call",
    "manager": "calls answered in their department or by one of its members, and calls "
               "whose voicemail box tells them or a member of their department",
    "operator": "calls they answered and calls whose voicemail box tells them",
}


def may_see(level: str, employee: str, answered_by: str | None,
            answered_department: str | None, box: VoicemailBox | None,
            directory: Directory) -> bool:
    """`box`: the voicemail box the call left a message in (None: none)."""
    if level == "admin":
        return True
    me = directory.employee(employee)
    if me is None or level not in RULES:
        return False
    people = [me]
    if level == "manager" and me.department is not None:
        if answered_department == me.department:
            return True
        people += [e for e in directory.members(me.department) if e.name != me.name]
    if answered_by is not None and any(p.name == answered_by for p in people):
        return True
    if box is None:
        return False
    told = {address.lower() for address in box.recipients(directory)[0]}
    return any(p.email and p.email.lower() in told for p in people)
