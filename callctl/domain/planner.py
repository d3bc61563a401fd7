"""Walk a forwarding scheme for one call: which legs ring, in which order, for how long.

`plan_call` is what the daemon asks on every inbound call and what `callctl simulate`
prints, so both decide with the same code. It only reads plain data (schemes, directory,
presence) and returns a Plan plus a human trace of every decision.

The trace is recorded as (indent, template, args) events and only turned into text when
someone reads it: the daemon plans every call but rarely prints the reasoning.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from .directory import Directory, Employee, Presence
from .plan import Block, Leg, Plan, Trunk
from .scheme import Branch, Direction, Scheme
from .schedule import describe_minute, minute_of_week, zone

DEFAULT_STICKY_TIMEOUT = 30  # only when the chosen branch has no block to borrow it from
MAX_DEPTH = 8  # nested scheme references; validation refuses cycles, this is a backstop


def _text(arg) -> str:
    if isinstance(arg, (list, tuple)):  # legs
        return ", ".join(leg.dial for leg in arg)
    return str(arg)


def _why(why: str) -> str:
    return f" ({why})" if why else ""


@dataclass(frozen=True)
class PlanResult:
    plan: Plan
    scheme: str
    branch: str | None  # None: no branch covers the call's time (or no such scheme)
    music_on_hold: bool = False  # what the caller hears while legs ring: else ringback
    events: tuple = field(default=(), repr=False, compare=False)

    @property
    def uncovered(self) -> bool:
        """The daemon sends the call to the number's fallback target."""
        return self.branch is None

    @property
    def reason(self) -> str:
        return self.plan.reason

    @cached_property
    def trace(self) -> tuple[str, ...]:
        """Human lines for `callctl simulate` and the call log."""
        return tuple(indent + template.format(*map(_text, args))
                     for indent, template, args in self.events)

    def format_trace(self) -> str:
        return "\n".join(self.trace)


def sip_uri_dial(uri: str, trunk: Trunk) -> str:
    """Another PBX's SIP account, reached through the trunk endpoint's transport."""
    return f"PJSIP/{trunk.endpoint}/{uri if uri.startswith(('sip:', 'sips:')) else 'sip:' + uri}"


class _Walk:
    """One planning run: collects plan blocks and trace events while walking."""

    def __init__(self, schemes, directory: Directory, minute: int, presence: Presence,
                 trunk: Trunk):
        self.schemes, self.directory, self.minute = schemes, directory, minute
        self.presence, self.trunk = presence, trunk
        self.blocks: list[Block] = []
        self.events: list[tuple] = []

    def note(self, indent: str, template: str, *args):
        self.events.append((indent, template, args))

    # -- legs of one direction: (legs that ring now, why some or all cannot) --

    def employee(self, e: Employee) -> tuple[list[Leg], str]:
        if not e.online:
            return [], "offline"
        legs, missing = [], None
        for login in e.sip_logins:
            if self.presence.sip_reachable(login):
                legs.append(Leg(f"PJSIP/{login}", e.name))
            else:
                missing = (missing or []) + [login]
        for number in e.phone_numbers:
            legs.append(Leg(self.trunk.phone(number), e.name))
        if missing:
            return legs, f"SIP {', '.join(missing)} not registered"
        return legs, "" if legs else "has no primary contacts"

    def direction(self, d: Direction) -> tuple[list[Leg], str]:
        kind, target = d.kind, d.target
        if kind == "sip_account":
            if not self.presence.sip_reachable(target):
                return [], "not registered"
            owner = self.directory.by_login(target)
            return [Leg(f"PJSIP/{target}", owner.name if owner else None)], ""
        if kind == "phone_number":
            return [Leg(self.trunk.phone(target))], ""
        if kind == "sip_uri":
            return [Leg(sip_uri_dial(target, self.trunk))], ""
        if kind == "employee":
            e = self.directory.employee(target)
            return self.employee(e) if e else ([], "no such employee")
        if kind == "department":
            members = self.directory.members(target)
            if not members:
                return [], "no members"
            legs, notes = [], []
            for e in members:
                e_legs, why = self.employee(e)
                legs += e_legs
                if why:
                    notes.append(f"{e.name} {why}")
            return legs, "; ".join(notes)
        return [], "not yet supported"  # validation refuses these; never crash on them

    # -- blocks --

    def add(self, legs: list[Leg], timeout: int) -> int:
        if len(legs) > 1:  # the same phone twice in one block would ring two channels
            unique: dict[str, Leg] = {}
            for leg in legs:
                unique.setdefault(leg.dial, leg)
            legs = unique.values()
        self.blocks.append(Block(tuple(legs), timeout))
        return len(self.blocks)

    def walk(self, scheme: Scheme, branch: Branch, stack: tuple[str, ...], indent: str):
        parallel = scheme.kind == "parallel"
        inner = indent + "  "
        for n, spec in enumerate(branch.blocks, 1):
            t = spec.timeout
            if len(spec.directions) == 1:
                self.note(indent, "block {}, {} s:", n, t)
            elif parallel:
                self.note(indent, "block {}, {} s, all together:", n, t)
            else:
                self.note(indent, "block {}, {} s each, one by one:", n, t)
            if parallel:
                self.parallel_block(spec.directions, t, stack, inner)
                continue
            for d in spec.directions:
                if d.kind == "scheme":
                    self.nested(d, stack, inner)
                    continue
                legs, why = self.direction(d)
                if legs:
                    self.note(inner, "step {}: {} rings {}{} for {} s",
                              self.add(legs, t), d, legs, _why(why), t)
                else:
                    self.note(inner, "skip {}: {}", d, why)

    def parallel_block(self, directions, t: int, stack, indent: str):
        legs, nested = [], []
        for d in directions:
            if d.kind == "scheme":
                nested.append(d)
                continue
            d_legs, why = self.direction(d)
            if d_legs:
                legs += d_legs
                self.note(indent, "{} rings {}{}", d, d_legs, _why(why))
            else:
                self.note(indent, "skip {}: {}", d, why)
        if legs:
            self.note(indent, "-> step {}: these ring together for {} s", self.add(legs, t), t)
        elif len(nested) < len(directions):
            self.note(indent, "-> nothing reachable: block dropped at once")
        for d in nested:  # a referenced scheme's blocks follow this block's own legs
            self.nested(d, stack, indent)

    def nested(self, d: Direction, stack: tuple[str, ...], indent: str):
        scheme = self.schemes.get(d.target)
        if scheme is None:
            self.note(indent, "skip {}: no such scheme", d)
        elif d.target in stack or len(stack) >= MAX_DEPTH:
            self.note(indent, "skip {}: cyclic reference {}", d,
                      " -> ".join(stack + (d.target,)))
        else:
            branch = scheme.branch_at(self.minute)
            if branch is None:
                self.note(indent, "skip {}: no branch of it covers {}", d,
                          describe_minute(self.minute))
                return
            self.note(indent, "{} ({}): branch {!r} ({}), walked from its start:",
                      d, scheme.kind, branch.name, branch.schedule)
            self.walk(scheme, branch, stack + (d.target,), indent + "  ")


def plan_call(scheme_name: str, schemes: Mapping[str, Scheme], directory: Directory,
              at: datetime, tz: str, presence: Presence, trunk: Trunk,
              sticky_employee: str | None = None) -> PlanResult:
    """The plan for a call arriving at `at` (aware) on a number served by `scheme_name`.
    An uncovered result (no branch now, or no such scheme) has an empty plan: the daemon
    sends the call to the number's fallback."""
    local = at.astimezone(zone(tz))
    minute = minute_of_week(local)
    when = describe_minute(minute)
    scheme = schemes.get(scheme_name)
    if scheme is None:
        reason = f"no scheme {scheme_name!r}: the call goes to the number's fallback"
        return PlanResult(Plan((), reason), scheme_name, None, events=(("", "{}", (reason,)),))
    walk = _Walk(schemes, directory, minute, presence, trunk)
    walk.note("", "scheme {!r} ({}), call at {} ({})", scheme.name, scheme.kind,
              local.strftime("%a %Y-%m-%d %H:%M"), tz)
    branch = scheme.branch_at(minute)
    for b in scheme.branches:
        if b is branch:
            break
        walk.note("", "branch {!r} ({}) does not cover {}", b.name, b.schedule, when)
    if branch is None:
        reason = f"no branch of {scheme.name!r} covers {when}: the call goes to the " \
                 f"number's fallback"
        walk.note("", "{}", reason)
        return PlanResult(Plan((), reason), scheme.name, None, events=tuple(walk.events))
    walk.note("", "branch {!r} chosen: {} contains {}", branch.name, branch.schedule, when)
    if sticky_employee is not None:
        timeout = branch.blocks[0].timeout if branch.blocks else DEFAULT_STICKY_TIMEOUT
        e = directory.employee(sticky_employee)
        legs, why = walk.employee(e) if e else ([], "no such employee")
        if legs:
            walk.note("", "sticky: step {}: {} talked to this caller today: rings {}{} "
                      "for {} s", walk.add(legs, timeout), e.name, legs, _why(why), timeout)
        else:
            walk.note("", "sticky: skip {!r}: {}", sticky_employee, why)
    walk.walk(scheme, branch, (scheme.name,), "")
    walk.note("", "then the call ends as missed" if walk.blocks else
              "nothing can ring now: the call ends as missed at once")
    return PlanResult(Plan(tuple(walk.blocks), f"scheme {scheme.name!r}, branch "
                           f"{branch.name!r}"), scheme.name, branch.name,
                      scheme.music_on_hold, tuple(walk.events))
