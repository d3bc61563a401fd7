"""What Asterisk does for a company number while the daemon is absent: a small program
made from the number's scheme, kept in AstDB (pbx/fallback.py) and walked by the dialplan
(dialplan/callctl.conf).

The dialplan can test the clock (GotoIfTime) and ring (Dial), nothing else callctl does. So
the program keeps what the daemon would ring, as far as that does not need the daemon:
- rules, in order, each with a weekly schedule and its rings (a scheme's branches, with
  their blocks rung in parallel or one by one and their timeouts); the first rule whose
  schedule holds now is walked ring by ring; menus and voicemail are left out (and later
  queues, webhooks, CRM);
- then the number's backup direction, if it has one;
- then a recorded message ("nobody is available").
A minute no rule holds goes straight to the backup, as the daemon sends such a call.

Presence is not known ahead: every SIP account counts as reachable (Asterisk skips an
unregistered one at once when it dials) and nobody as busy; employees switched offline in
the directory are left out, as the daemon leaves them out.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timezone

from .catalog import Catalog
from .directory import ALL_REACHABLE, Directory
from .flow import Ring, Target
from .planner import plan_branch, plan_number
from .schedule import TimeRange, WeeklySchedule
from .scheme import Branch, Scheme

ANY_TIME = datetime(2026, 1, 5, tzinfo=timezone.utc)  # a number without a scheme: no clock


@dataclass(frozen=True)
class FallbackRule:
    schedule: WeeklySchedule  # when it applies, in the project's time zone
    rings: tuple[Ring, ...]  # in order; none: straight to the backup


@dataclass(frozen=True)
class FallbackProgram:
    number: str
    rules: tuple[FallbackRule, ...]
    backup: Ring | None = None


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


def fallback_program(catalog: Catalog, number: str) -> FallbackProgram | None:
    """None for a number that is not a company number."""
    n = catalog.directory.number(number)
    if n is None:
        return None
    route = catalog.routes.get(number)
    if route is None:  # it rings its employee; its fallback, if any, comes after
        rings = plan_number(number, catalog, ALL_REACHABLE, ANY_TIME, "UTC").ring_steps
        rules = (FallbackRule(WeeklySchedule.always(), rings),) if rings else ()
        backup = fallback_targets(catalog.directory, number) if n.fallback else []
    else:  # a scheme, else a menu or voicemail box, which need the daemon
        scheme = catalog.schemes.get(route.target) if route.kind == "scheme" else None
        rules = tuple(scheme_rules(catalog, scheme)) if scheme is not None else ()
        backup = fallback_targets(catalog.directory, number)
    return FallbackProgram(number, rules,
                           Ring(tuple(backup), n.ring_timeout) if backup else None)


def scheme_rules(catalog: Catalog, scheme: Scheme) -> list[FallbackRule]:
    """A rule per branch, in order. A branch that rings another scheme becomes a rule per
    branch of that one it meets (and one for when none of them holds), so each rule rings
    the same whatever minute of its schedule it is. Rules nothing can reach are dropped."""
    rules, claimed = [], 0  # minutes an earlier rule takes
    for branch in scheme.branches:
        for schedule in _refined(catalog, scheme, branch):
            reachable = schedule.week_minutes() & ~claimed
            if not reachable:
                continue
            minute = (reachable & -reachable).bit_length() - 1  # any minute it rules
            steps = plan_branch(scheme, branch, catalog, ALL_REACHABLE, minute)
            rules.append(FallbackRule(schedule, tuple(s for s in steps
                                                      if isinstance(s, Ring))))
            claimed |= schedule.week_minutes()
    return rules


def _refined(catalog: Catalog, scheme: Scheme, branch: Branch) -> list[WeeklySchedule]:
    """The branch's schedule cut by the branches of every scheme it leads to: one piece
    per choice of a branch (or none) in each, in the order that makes the first piece
    holding a minute the one the planner would walk then."""
    nested = _nested(catalog, branch, {scheme.name})
    choices = [[*catalog.schemes[name].branches, None] for name in nested]
    pieces = []
    for combo in itertools.product(*choices):
        piece: WeeklySchedule | None = branch.schedule
        for chosen in combo:
            if piece is not None and chosen is not None:
                piece = _intersect(piece, chosen.schedule)
        if piece is not None:
            pieces.append(piece)
    return pieces


def _nested(catalog: Catalog, branch: Branch, seen: set[str]) -> list[str]:
    """Schemes a branch's blocks lead to, however deep, each once."""
    out = []
    for block in branch.blocks:
        for d in block.directions:
            if d.kind == "scheme" and d.target in catalog.schemes and d.target not in seen:
                seen.add(d.target)
                out.append(d.target)
                for inner in catalog.schemes[d.target].branches:
                    out += _nested(catalog, inner, seen)
    return out


def _intersect(a: WeeklySchedule, b: WeeklySchedule) -> WeeklySchedule | None:
    days = a.days & b.days
    ranges = tuple(TimeRange(max(x.start, y.start), min(x.end, y.end))
                   for x in a.ranges for y in b.ranges
                   if max(x.start, y.start) <= min(x.end, y.end))
    return WeeklySchedule(days, ranges) if days and ranges else None
