"""Who may see a call of the log and listen to its voicemail message, by access level:

- admin: every call;
- operator: calls they answered or talked in (a transfer passed it on), and calls whose
  voicemail box tells them (the box names them, their department, or their e-mail address);
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
            directory: Directory, talked: frozenset[str] = frozenset()) -> bool:
    """`box`: the voicemail box the call left a message in (None: none); `talked`: the
    employees who talked in it besides `answered_by` (transfers: who had it before)."""
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
    if any(p.name == answered_by or p.name in talked for p in people):
        return True
    if box is None:
        return False
    told = {address.lower() for address in box.recipients(directory)[0]}
    return any(p.email and p.email.lower() in told for p in people)


def may_act_for(level: str, asker: str, employee: str, directory: Directory) -> bool:
    """Whether `asker` may see and transfer `employee`'s live calls: admins anyone's,
    managers their department's members', operators only their own."""
    if level == "admin" or asker == employee:
        return True
    me, them = directory.employee(asker), directory.employee(employee)
    return level == "manager" and me is not None and them is not None \
        and me.department is not None and me.department == them.department
