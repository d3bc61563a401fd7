"""Outgoing calls: which company number a staff phone calls out with, and who may not.

A caller-ID rule belongs to a SIP account, an employee, a department or the whole company,
and says which company number to show, for every destination or for those starting with a
prefix (a country code such as +380, or any longer start of an E.164 number). The rule
that decides is found in this order:

1. the most specific owner that has a rule for this destination: the SIP account that
   dials, else its employee, else the employee's department, else the company;
2. among that owner's rules, the longest prefix that the destination starts with (a rule
   without a prefix matches everything, so it comes last).

An owner whose rules all name other prefixes does not stop the search: the next owner is
asked. No rule at all: the call is not placed (the caller hears why), since a staff phone
must never show a number the company does not own. Barred SIP accounts cannot call outside
numbers at all; extensions and company numbers still work for them.

Pure: plain data in, a plan out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from .catalog import Catalog
from .directory import Presence
from .flow import NOBODY_AVAILABLE, Announce, Prompt, Target
from .phones import BadNumber, to_e164
from .planner import PlanResult, plan_extension

SCOPES = ("sip_account", "employee", "department", "company")  # most specific first
PREFIX = re.compile(r"\+[0-9]{1,15}")
RING_TIMEOUT = 60  # an outside number rings this long before the call gives up
CALL_REJECTED = 21  # Q.850: the caller's phone shows 403 Forbidden
BARRED = Announce(Prompt("outgoing-barred", "default"), CALL_REJECTED, "barred")
NO_CALLER_ID = Announce(Prompt("cannot-complete-as-dialed", "asterisk"), CALL_REJECTED,
                        "failed")


@dataclass(frozen=True)
class CallerIdRule:
    scope: str  # one of SCOPES
    owner: str  # SIP login, employee or department name; "" for the company
    number: str  # the company number shown (E.164)
    prefix: str = ""  # "" matches every destination

    def __str__(self) -> str:
        who = "company" if self.scope == "company" else f"{self.scope} {self.owner!r}"
        where = f"calls to {self.prefix}..." if self.prefix else "every call"
        return f"{who}: {where} show {self.number}"


@dataclass(frozen=True)
class OutgoingPolicy:
    rules: tuple[CallerIdRule, ...] = ()
    barred: frozenset[str] = frozenset()  # SIP logins that may not call outside numbers
    country: str = "US"  # numbers dialled without +<code> are national numbers of it


@dataclass(frozen=True)
class DialOut:
    """A step: an outside number rings through the trunk, showing `caller_id`."""
    target: Target
    caller_id: str
    timeout: int
    rule: str  # the rule that chose the caller ID, for the call log


@dataclass(frozen=True)
class Choice:
    rule: CallerIdRule | None
    why: tuple[str, ...] = field(default=())

    @property
    def number(self) -> str | None:
        return self.rule.number if self.rule else None


def owners(catalog: Catalog, login: str) -> list[tuple[str, str]]:
    """(scope, owner) that a call from `login` may take a rule from, most specific first."""
    out = [("sip_account", login)]
    employee = catalog.directory.by_login(login)
    if employee is not None:
        out.append(("employee", employee.name))
        if employee.department:
            out.append(("department", employee.department))
    return out + [("company", "")]


def choose_caller_id(policy: OutgoingPolicy, catalog: Catalog, login: str,
                     destination: str) -> Choice:
    """The rule that decides the caller ID of `login` calling `destination` (E.164)."""
    why = []
    for scope, owner in owners(catalog, login):
        mine = [r for r in policy.rules if r.scope == scope and r.owner == owner]
        who = "the company" if scope == "company" else f"{scope} {owner!r}"
        if not mine:
            why.append(f"{who}: no rule")
            continue
        fitting = [r for r in mine if destination.startswith(r.prefix)]
        if not fitting:
            why.append(f"{who}: rules only for {', '.join(r.prefix for r in mine)}")
            continue
        rule = max(fitting, key=lambda r: len(r.prefix))
        how = f"prefix {rule.prefix} is the longest that fits" if rule.prefix \
            else "its rule for every destination"
        why.append(f"{who}: {how}: shows {rule.number}")
        return Choice(rule, tuple(why))
    return Choice(None, tuple(why))


def outside_number(dialled: str, catalog: Catalog, country: str) -> str | None:
    """`dialled` as an E.164 number when it is an outside number (not an extension, not a
    company number and not a feature code); else None."""
    directory = catalog.directory
    if directory.by_extension(dialled) is not None or directory.number(dialled) is not None \
            or dialled in catalog.routes or dialled[:1] in "*#":  # "" too
        return None
    try:
        number = to_e164(dialled, country)
    except BadNumber:
        return None
    return None if directory.number(number) is not None else number


def plan_dialled(login: str, dialled: str, catalog: Catalog, policy: OutgoingPolicy,
                 presence: Presence, at: datetime, tz: str) -> PlanResult:
    """What a staff phone's call does: an extension or company number as the planner says,
    an outside number through the trunk with the caller ID the rules choose."""
    number = outside_number(dialled, catalog, policy.country)
    if number is not None:
        return plan_outgoing(login, number, catalog, policy)
    if catalog.directory.by_extension(dialled) is None:
        try:  # a company number written nationally: the number it is
            dialled = to_e164(dialled, policy.country)
        except BadNumber:
            pass
    return plan_extension(dialled, catalog, presence, at, tz)


def plan_outgoing(login: str, number: str, catalog: Catalog,
                  policy: OutgoingPolicy) -> PlanResult:
    events = [("", "{} dials the outside number {}", (login, number))]
    if login in policy.barred:
        reason = f"SIP account {login!r} is barred from outside calls"
        events.append(("", "{}: the caller hears {} and nothing is dialled",
                       (reason, BARRED.prompt)))
        return PlanResult((BARRED,), reason=reason, events=tuple(events))
    choice = choose_caller_id(policy, catalog, login, number)
    events += [("  ", "{}", (line,)) for line in choice.why]
    if choice.rule is None:
        reason = f"no caller-ID rule applies to {login!r} calling {number}"
        events.append(("", "{}: the caller hears {} and nothing is dialled",
                       (reason, NO_CALLER_ID.prompt)))
        return PlanResult((NO_CALLER_ID,), reason=reason, events=tuple(events))
    owner = catalog.directory.by_login(login)
    step = DialOut(Target("phone", number), choice.number, RING_TIMEOUT, str(choice.rule))
    events.append(("", "step 1: {} rings through the trunk showing {} (rule: {}) for {} s",
                   (number, choice.number, choice.rule, RING_TIMEOUT)))
    events.append(("", "then, if nobody answers, the caller hears {}",
                   (NOBODY_AVAILABLE.prompt,)))
    return PlanResult((step, NOBODY_AVAILABLE),
                      reason=f"outgoing call by {owner.name if owner else login} to {number}",
                      events=tuple(events))


# --- checks, for the service -------------------------------------------------------------

def rule_problem(rule: CallerIdRule, catalog: Catalog) -> str | None:
    """What is wrong with a rule, or None. Only company numbers may be shown."""
    directory = catalog.directory
    if rule.scope not in SCOPES:
        return f"scope {rule.scope!r}: one of {', '.join(SCOPES)}"
    if rule.prefix and not PREFIX.fullmatch(rule.prefix):
        return f"prefix {rule.prefix!r}: write it as + and 1 to 15 digits, e.g. +380"
    if directory.number(rule.number) is None:
        return f"number {rule.number}: not a company number (only the company's own " \
               f"numbers can be shown to the people called)"
    if rule.scope == "sip_account" and rule.owner not in \
            {a.login for a in directory.sip_accounts}:
        return f"SIP account {rule.owner!r}: no such SIP account"
    if rule.scope == "employee" and directory.employee(rule.owner) is None:
        return f"employee {rule.owner!r}: no such employee"
    if rule.scope == "department" and rule.owner not in {d.name for d in
                                                          directory.departments}:
        return f"department {rule.owner!r}: no such department"
    return None
