"""Plan one call: the steps it runs (ring, menu, voicemail, prompt) and why.

`plan_number` and `plan_extension` are what the daemon asks on every call and what
`callctl simulate` prints, so both decide with the same code; `plan_direction` plans what
a menu digit leads to, when it is pressed. They only read plain data (a Catalog, presence)
and return a PlanResult: the steps plus a human trace of every decision.

The trace is recorded as (indent, template, args) events and only turned into text when
someone reads it: the daemon plans every call but rarely prints the reasoning.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from .catalog import Catalog
from .directory import Department, Employee, Presence
from .flow import NOBODY_AVAILABLE, NOT_IN_SERVICE, Menu, Queue, Ring, Step, Target, Voicemail
from .queue import operators
from .remote import REMOTE_KINDS, Manager, Webhook, parse_order
from .scheme import ALONE_KINDS, MEDIA_KINDS, Branch, Direction, Scheme
from .schedule import describe_minute, minute_of_week, zone

DEFAULT_STICKY_TIMEOUT = 30  # only when the chosen branch has no block to borrow it from
DIRECT_BUDGET = 300  # a menu serving a number itself: its choice must be answered within
MAX_DEPTH = 8  # nested scheme references; validation refuses cycles, this is a backstop


def _text(arg) -> str:
    if isinstance(arg, (list, tuple)):  # targets
        return ", ".join(map(str, arg))
    return str(arg)


def _why(why: str) -> str:
    return f" ({why})" if why else ""


@dataclass(frozen=True)
class PlanResult:
    steps: tuple[Step, ...]
    scheme: str | None = None
    branch: str | None = None
    uncovered: bool = False  # no branch covers the minute: the number's fallback takes it
    music_on_hold: bool = False  # what the caller hears while people ring: else ringback
    reason: str = ""
    events: tuple = field(default=(), repr=False, compare=False)

    @cached_property
    def trace(self) -> tuple[str, ...]:
        """Human lines for `callctl simulate` and the log."""
        return tuple(indent + template.format(*map(_text, args))
                     for indent, template, args in self.events)

    def format_trace(self) -> str:
        return "\n".join(self.trace)

    @property
    def ring_steps(self) -> tuple[Ring, ...]:
        return tuple(s for s in self.steps if isinstance(s, Ring))


class _Walk:
    """One planning run: collects steps and trace events while walking."""

    def __init__(self, catalog: Catalog, minute: int, presence: Presence,
                 exclude: frozenset[str] = frozenset()):
        self.catalog, self.directory = catalog, catalog.directory
        self.minute, self.presence = minute, presence
        self.exclude = exclude  # employees not to ring again in this call (sticky)
        self.steps: list[Step] = []
        self.events: list[tuple] = []
        self.off_hours = False

    def note(self, indent: str, template: str, *args):
        self.events.append((indent, template, args))

    def add(self, step: Step) -> int:
        self.steps.append(step)
        return len(self.steps)

    # -- targets of one direction: (targets that ring now, why some or all cannot) --

    def employee(self, e: Employee) -> tuple[list[Target], str]:
        if e.name in self.exclude:
            return [], "rung first already (sticky)"
        if not e.online:
            return [], "offline"
        if self.presence.busy_now(e.name) and not e.call_waiting:
            return [], "busy on another call"
        targets, missing = [], None
        for login in e.sip_logins:
            if self.presence.sip_reachable(login):
                targets.append(Target("sip", login, e.name))
            else:
                missing = (missing or []) + [login]
        for number in e.phone_numbers:
            targets.append(Target("phone", number, e.name))
        if missing:
            return targets, f"SIP {', '.join(missing)} not registered"
        return targets, "" if targets else "has no primary contacts"

    def members(self, department: str) -> tuple[list[Target], str]:
        members = self.directory.members(department)
        if not members:
            return [], "no members"
        targets, notes = [], []
        for e in members:
            e_targets, why = self.employee(e)
            targets += e_targets
            if why:
                notes.append(f"{e.name} {why}")
        return targets, "; ".join(notes)

    def direction(self, d: Direction) -> tuple[list[Target], str]:
        kind, target = d.kind, d.target
        if kind == "sip_account":
            owner = self.directory.by_login(target)
            if owner is not None:
                if owner.name in self.exclude:
                    return [], "rung first already (sticky)"
                if self.presence.busy_now(owner.name) and not owner.call_waiting:
                    return [], "busy on another call"
            elif self.presence.busy_now(f"sip:{target}"):
                return [], "busy on another call"
            if not self.presence.sip_reachable(target):
                return [], "not registered"
            return [Target("sip", target, owner.name if owner else None)], ""
        if kind == "phone_number":
            return [Target("phone", target)], ""
        if kind == "sip_uri":
            return [Target("uri", target if target.startswith(("sip:", "sips:"))
                           else "sip:" + target)], ""
        if kind == "employee":
            e = self.directory.employee(target)
            return self.employee(e) if e else ([], "no such employee")
        if kind == "department":
            return self.members(target)
        return [], "not yet supported"  # validation refuses these; never crash on them

    def ring(self, targets: list[Target], timeout: int) -> int:
        if len(targets) > 1:  # the same phone twice in one step would ring two channels
            targets = list({(t.kind, t.address): t for t in reversed(targets)}.values())[::-1]
        return self.add(Ring(tuple(targets), timeout))

    # -- directions that are steps of their own --

    def media(self, d: Direction, timeout: int, indent: str) -> None:
        """A menu, a voicemail box or a queue: a step of its own. A queue nobody of can
        take calls now is skipped at once, like an offline person."""
        if d.kind == "queue":
            queue = self.catalog.queues.get(d.target)
            if queue is None:
                self.note(indent, "skip {}: no such queue", d)
            elif not operators(queue, self.directory, self.presence):
                self.note(indent, "skip {}: no operator is online and reachable", d)
            else:
                self.note(indent, "step {}: queue {!r} ({}), waiting up to {} s",
                          self.add(Queue(queue, timeout)), queue.name, queue.strategy,
                          min(timeout, queue.max_wait))
        elif d.kind == "ivr":
            menu = self.catalog.menus.get(d.target)
            if menu is None:
                self.note(indent, "skip {}: no such IVR menu", d)
                return
            digits = ", ".join(digit for digit, _ in menu.options)
            self.note(indent, "step {}: IVR menu {!r} plays {}; keys {}; up to {} s",
                      self.add(Menu(menu, timeout, self.off_hours)), menu.name, menu.greeting,
                      digits, timeout)
        else:
            box = self.catalog.boxes.get(d.target)
            if box is None:
                self.note(indent, "skip {}: no such voicemail box", d)
                return
            greeting = box.greeting_for(self.off_hours)
            self.note(indent, "step {}: voicemail {!r}: greeting {}, beep, a message of up "
                      "to {} s", self.add(Voicemail(box, greeting)), box.name, greeting,
                      box.max_seconds)

    def remote(self, d: Direction, timeout: int, indent: str) -> None:
        """A webhook or CRM lookup: what rings is decided when the call gets there."""
        if d.kind == "webhook":
            step = Webhook(d.target, timeout, self.off_hours)
            self.note(indent, "step {}: ask webhook {!r} where the call goes, ring that; "
                      "all within {} s", self.add(step), d.target, timeout)
        else:
            step = Manager(parse_order(d.target), timeout)
            self.note(indent, "step {}: look the caller up in the CRM ({}) and ring the "
                      "responsible employee; all within {} s", self.add(step),
                      " -> ".join(step.order), timeout)

    # -- blocks --

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
                self.one(d, t, stack, inner)

    def one(self, d: Direction, t: int, stack: tuple[str, ...], indent: str) -> None:
        """One direction as the steps it makes."""
        if d.kind == "scheme":
            self.nested(d, stack, indent)
        elif d.kind in MEDIA_KINDS:
            self.media(d, t, indent)
        elif d.kind in REMOTE_KINDS:
            self.remote(d, t, indent)
        else:
            targets, why = self.direction(d)
            if targets:
                self.note(indent, "step {}: {} rings {}{} for {} s",
                          self.ring(targets, t), d, targets, _why(why), t)
            else:
                self.note(indent, "skip {}: {}", d, why)

    def parallel_block(self, directions, t: int, stack, indent: str):
        if len(directions) == 1 and directions[0].kind in ALONE_KINDS:
            self.one(directions[0], t, stack, indent)
            return
        targets, nested = [], []
        for d in directions:
            if d.kind == "scheme":
                nested.append(d)
                continue
            d_targets, why = self.direction(d)
            if d_targets:
                targets += d_targets
                self.note(indent, "{} rings {}{}", d, d_targets, _why(why))
            else:
                self.note(indent, "skip {}: {}", d, why)
        if targets:
            self.note(indent, "-> step {}: these ring together for {} s",
                      self.ring(targets, t), t)
        elif len(nested) < len(directions):
            self.note(indent, "-> nothing reachable: block dropped at once")
        for d in nested:  # a referenced scheme's blocks follow this block's own targets
            self.nested(d, stack, indent)

    def nested(self, d: Direction, stack: tuple[str, ...], indent: str):
        scheme = self.catalog.schemes.get(d.target)
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

    def finish(self) -> None:
        """A call that nobody took hears it, rather than silence."""
        if self.steps and isinstance(self.steps[-1], Voicemail):
            self.note("", "the call ends when the message is left")
            return
        self.add(NOBODY_AVAILABLE)
        self.note("", "then the caller hears {} (not answered) and the call ends as missed",
                  NOBODY_AVAILABLE.prompt)


def _scheme(walk: _Walk, scheme_name: str, at: datetime, tz: str,
            sticky_employee: str | None) -> PlanResult:
    local = at.astimezone(zone(tz))
    when = describe_minute(walk.minute)
    scheme = walk.catalog.schemes.get(scheme_name)
    if scheme is None:
        reason = f"no scheme {scheme_name!r}: the call goes to the number's fallback"
        return PlanResult((), scheme_name, None, True, reason=reason,
                          events=(("", "{}", (reason,)),))
    walk.note("", "scheme {!r} ({}), call at {} ({})", scheme.name, scheme.kind,
              local.strftime("%a %Y-%m-%d %H:%M"), tz)
    branch = scheme.branch_at(walk.minute)
    for b in scheme.branches:
        if b is branch:
            break
        walk.note("", "branch {!r} ({}) does not cover {}", b.name, b.schedule, when)
    if branch is None:
        reason = f"no branch of {scheme.name!r} covers {when}: the call goes to the " \
                 f"number's fallback"
        walk.note("", "{}", reason)
        return PlanResult((), scheme.name, None, True, reason=reason, events=tuple(walk.events))
    walk.off_hours = branch.off_hours
    walk.note("", "branch {!r}{} chosen: {} contains {}", branch.name,
              " (off hours)" if branch.off_hours else "", branch.schedule, when)
    if sticky_employee is not None:
        timeout = branch.blocks[0].timeout if branch.blocks else DEFAULT_STICKY_TIMEOUT
        e = walk.directory.employee(sticky_employee)
        targets, why = walk.employee(e) if e else ([], "no such employee")
        if targets:
            walk.note("", "sticky: step {}: {} talked to this caller today: rings {}{} "
                      "for {} s; not rung again later", walk.ring(targets, timeout), e.name,
                      targets, _why(why), timeout)
            walk.exclude = walk.exclude | {e.name}
        else:
            walk.note("", "sticky: skip {!r}: {}", sticky_employee, why)
    walk.walk(scheme, branch, (scheme.name,), "")
    walk.finish()
    return PlanResult(tuple(walk.steps), scheme.name, branch.name, False,
                      scheme.music_on_hold, f"scheme {scheme.name!r}, branch {branch.name!r}",
                      tuple(walk.events))


def plan_call(scheme_name: str, catalog: Catalog, presence: Presence, at: datetime, tz: str,
              sticky_employee: str | None = None) -> PlanResult:
    """The plan for a call arriving at `at` (aware) on a number served by `scheme_name`.
    An uncovered result (no branch now, or no such scheme) has no steps: the daemon sends
    the call to the number's fallback."""
    walk = _Walk(catalog, minute_of_week(at.astimezone(zone(tz))), presence)
    return _scheme(walk, scheme_name, at, tz, sticky_employee)


def plan_number(number: str, catalog: Catalog, presence: Presence, at: datetime, tz: str,
                sticky_employee: str | None = None) -> PlanResult:
    """A call for a company number: its scheme, menu or voicemail box; without one, its
    employee (as numbers did before schemes existed)."""
    route = catalog.routes.get(number)
    if route is not None and route.kind == "scheme":
        return plan_call(route.target, catalog, presence, at, tz, sticky_employee)
    walk = _Walk(catalog, minute_of_week(at.astimezone(zone(tz))), presence)
    if route is not None:
        walk.note("", "number {} is served by {}", number, route)
        walk.one(route, DIRECT_BUDGET, (), "")
        walk.finish()
        return PlanResult(tuple(walk.steps), reason=f"{number} is served by {route}",
                          events=tuple(walk.events))
    target = catalog.directory.number(number)
    if target is None:
        return _not_in_service(f"{number} is not a company number")
    employee = catalog.directory.employee(target.employee) if target.employee else None
    if employee is None:
        return _not_in_service(f"{number} rings nobody: it has no employee")
    return _ring_one(walk, f"number {number} rings {employee.name}", employee,
                     target.ring_timeout)


def plan_extension(dialled: str, catalog: Catalog, presence: Presence, at: datetime, tz: str,
                   ring_timeout: int = 30) -> PlanResult:
    """A staff phone dialled an extension (employee or department) or a company number."""
    target = catalog.directory.by_extension(dialled)
    if target is None:
        return plan_number(dialled, catalog, presence, at, tz)
    walk = _Walk(catalog, minute_of_week(at.astimezone(zone(tz))), presence)
    return _ring_one(walk, f"extension {dialled} is {_describe(target)}", target, ring_timeout)


def plan_direction(direction: Direction, catalog: Catalog, presence: Presence, at: datetime,
                   tz: str, timeout: int, off_hours: bool = False) -> PlanResult:
    """What one direction (a menu digit's choice) does now, `timeout` seconds per ring.
    No closing prompt: the menu's call goes on with its scheme if nobody answers."""
    walk = _Walk(catalog, minute_of_week(at.astimezone(zone(tz))), presence)
    walk.off_hours = off_hours
    # A menu chosen from a menu lasts as long as the first one's budget allows.
    walk.one(direction, DIRECT_BUDGET if direction.kind in ("ivr", "queue") else timeout, (),
             "")
    return PlanResult(tuple(walk.steps), reason=str(direction), events=tuple(walk.events))


def plan_branch(scheme: Scheme, branch: Branch, catalog: Catalog, presence: Presence,
                minute: int) -> tuple[Step, ...]:
    """The steps of one branch of `scheme`, whatever branch the clock would pick, with the
    schemes it refers to walked as they are at `minute` of the week. No closing prompt.
    The daemon-absent fallback (fallback.py) is built from these."""
    walk = _Walk(catalog, minute, presence)
    walk.off_hours = branch.off_hours
    walk.walk(scheme, branch, (scheme.name,), "")
    return tuple(walk.steps)


def _describe(target: Employee | Department) -> str:
    return target.name if isinstance(target, Employee) else f"the {target.name} department"


def _ring_one(walk: _Walk, what: str, target: Employee | Department, timeout: int) -> PlanResult:
    if isinstance(target, Employee):
        targets, why = walk.employee(target)
    else:
        targets, why = walk.members(target.name)
    if targets:
        walk.note("", "{}: step {}: rings {}{} for {} s", what, walk.ring(targets, timeout),
                  targets, _why(why), timeout)
    else:
        walk.note("", "{}: nobody can be reached now{}", what, _why(why))
    walk.finish()
    return PlanResult(tuple(walk.steps), reason=what, events=tuple(walk.events))


def _not_in_service(reason: str) -> PlanResult:
    return PlanResult((NOT_IN_SERVICE,), reason=reason,
                      events=(("", "{}: the caller hears {} (not answered) and the call "
                                   "ends", (reason, NOT_IN_SERVICE.prompt)),))

