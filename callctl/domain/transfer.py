"""Transfers: who a transfer rings, and the attended transfer's states.

A transfer moves the other party of a call (the transferee) from the employee who has it
(the transferer) to a recipient: a colleague, a whole department (every reachable member
rings, the first to answer takes it) or an outside number (through the trunk, with the
caller ID the outgoing rules choose). Blind: the transferer leaves at once and the transferee
hears ringback. Attended: the transferee waits on hold while the transferer talks to the
recipient first, then completes (or goes back).

The states are Wazo calld's: ready -> ringback -> answered -> completed | cancelled |
abandoned; `blind` is a transfer whose transferer left before the recipient answered
(a blind transfer from the start, or an attended one completed while still ringing), and
`failed` one whose recipient never answered after that (the transferee is then offered
back to the transferer). Pure: the daemon (calls/transfers/) does what a state means.
"""
from __future__ import annotations

from dataclasses import dataclass

from .catalog import Catalog
from .directory import Employee, Presence
from .flow import Prompt, Target
from .outgoing import BARRED, OutgoingPolicy, choose_caller_id, outside_number
from .planner import _Walk

MODES = ("blind", "attended")
VIAS = ("keypad", "refer", "api")  # how the transferer asked: feature code, phone, workspace
# completed: the recipient has the call; cancelled: back to the transferer (asked, or the
# recipient did not answer or declined while the transferer waited); refused: nobody could
# be rung; no_answer / declined: a blind transfer's recipient did not take it; abandoned: the
# transferee hung up first (an attended consultation then goes on as a plain call).
RESULTS = ("completed", "cancelled", "no_answer", "declined", "refused", "abandoned")

# (state, event) -> next state. Events: ringing (the recipient rings), answered,
# complete / cancel (the transferer asks), no_answer (the ring time passed), declined (every
# leg ended unanswered), transferer_gone, transferee_gone, recipient_gone (hung up after
# answering).
TRANSITIONS = {
    ("ready", "ringing"): "ringback",
    ("ready", "blind"): "blind",
    ("ringback", "answered"): "answered",
    ("ringback", "complete"): "blind",
    ("ringback", "transferer_gone"): "blind",
    ("ringback", "cancel"): "cancelled",
    ("ringback", "no_answer"): "cancelled",
    ("ringback", "declined"): "cancelled",
    ("ringback", "transferee_gone"): "abandoned",
    ("answered", "complete"): "completed",
    ("answered", "transferer_gone"): "completed",
    ("answered", "cancel"): "cancelled",
    ("answered", "recipient_gone"): "cancelled",
    ("answered", "transferee_gone"): "abandoned",
    ("blind", "answered"): "completed",
    ("blind", "no_answer"): "failed",
    ("blind", "declined"): "failed",
    ("blind", "transferee_gone"): "abandoned",
}
TERMINAL = frozenset({"completed", "cancelled", "abandoned", "failed"})
# What each state means for the three parties, for `calls active` and the workspace.
HEARS = {
    "ringback": ("on hold", "ringback", "ringing"),
    "answered": ("on hold", "talking to the recipient", "talking to the transferer"),
    "blind": ("ringback", "gone", "ringing"),
}


def next_state(state: str, event: str) -> str | None:
    """The state after `event`, or None when the event changes nothing in `state` (e.g. a
    second complete, or cancel once the transferer has left)."""
    return TRANSITIONS.get((state, event))


def result_of(state: str, event: str) -> str:
    """The call log's result of a transfer that ended in `state` because of `event`."""
    if state == "cancelled" and event in ("no_answer", "declined"):
        return event
    if state == "failed":
        return "declined" if event == "declined" else "no_answer"
    return state


# --- whom a transfer rings -----------------------------------------------------------------

INVALID = Prompt("pbx-invalid", "asterisk")  # "that is not a valid extension"
UNREACHABLE = Prompt("vm-nobodyavail", "asterisk")


class Refused(ValueError):
    """Nobody can be rung for this transfer; str() says why, `prompt` is what the transferer
    hears."""

    def __init__(self, message: str, prompt: Prompt = INVALID):
        super().__init__(message)
        self.prompt = prompt


@dataclass(frozen=True)
class Recipient:
    asked: str  # as the transferer gave it: 102, Sales, +15550199
    label: str  # "Bob Jones (102)", "the Sales department (600)", "+15550199"
    targets: tuple[Target, ...]
    caller_id: str | None = None  # what an outside number is shown (an outgoing rule)
    rule: str | None = None  # that rule, for the call log
    note: str = ""  # who of a department is skipped, and why

    @property
    def employee(self) -> str | None:
        """The one employee rung, if it is one."""
        people = {t.employee for t in self.targets}
        return people.pop() if len(people) == 1 else None


def resolve(to: str, catalog: Catalog, presence: Presence, policy: OutgoingPolicy,
            transferer: str | None, login: str | None,
            on_call: frozenset[str] = frozenset()) -> Recipient:
    """Whom a transfer to `to` rings: an extension, an employee's or department's name, or
    an outside number. `transferer`: the employee transferring (None: a SIP account
    nobody owns), `login`: the SIP account they use (outgoing rules, bars); `on_call`: the
    employees on this call already, never rung. Raises Refused."""
    directory = catalog.directory
    asked = " ".join(str(to).split())
    if not asked:
        raise Refused("to: say where to transfer: an extension, a colleague, a department "
                      "or a phone number")
    found = directory.by_extension(asked) or _by_name(catalog, asked)
    walk = _Walk(catalog, 0, presence, exclude=on_call)
    if isinstance(found, Employee):
        label = f"{found.name} ({found.extension})"
        if found.name == transferer:
            raise Refused(f"{label} is you: a call cannot be transferred to its transferer")
        if found.name in on_call:
            raise Refused(f"{label} is on this call already")
        targets, why = walk.employee(found)
        if not targets:
            raise Refused(f"{label} cannot take the call now: {why}", UNREACHABLE)
        return Recipient(asked, label, tuple(targets), note=why)
    if found is not None:  # a department
        label = f"the {found.name} department ({found.extension})"
        targets, why = walk.members(found.name)
        if not targets:
            raise Refused(f"nobody of {label} can take the call now"
                          + (f": {why}" if why else ""), UNREACHABLE)
        unique = {(t.kind, t.address): t for t in targets}  # a phone two members share
        return Recipient(asked, label, tuple(unique.values()), note=why)
    if directory.number(asked) is not None or asked in catalog.routes:
        raise Refused(f"{asked} is a company number: transfer to an extension, a colleague, "
                      f"a department or an outside number")
    number = outside_number(asked, catalog, policy.country)
    if number is None:
        raise Refused(f"{asked!r} is no extension, colleague, department or phone number")
    if login is not None and login in policy.barred:
        raise Refused(f"SIP account {login!r} is barred from outside calls, so it cannot "
                      f"transfer to {number} either", BARRED.prompt)
    choice = choose_caller_id(policy, catalog, login, number) if login is not None else None
    rule = choice.rule if choice is not None else None
    return Recipient(asked, number, (Target("phone", number),),
                     rule.number if rule else None, str(rule) if rule else None)


def _by_name(catalog: Catalog, name: str):
    """An employee or department by name, as people type it (any case)."""
    directory, folded = catalog.directory, name.casefold()
    employee = directory.employee(name)
    if employee is not None:
        return employee
    for e in directory.employees:
        if e.name.casefold() == folded:
            return e
    return next((d for d in directory.departments if d.name.casefold() == folded), None)
