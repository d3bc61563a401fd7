"""Forwarding schemes: branches by schedule, blocks of directions with timeouts.

Plain immutable data plus the checks that run before a scheme is saved: `validate` finds
everything wrong at once, each problem naming the scheme, branch and block it is in.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from .directory import Directory
from .names import BadName, clean_name, clean_text, name_key, shown
from .remote import REMOTE_KINDS, parse_order
from .schedule import ScheduleError, WeeklySchedule, format_ranges

SUPPORTED_KINDS = ("sip_account", "phone_number", "sip_uri", "employee", "department",
                   "scheme", "ivr", "voicemail", "queue") + REMOTE_KINDS
# Accepted by the model (so saved schemes and YAML can name them) but refused by `validate`
# until their behaviour exists: never silently ignored. (None today.)
PLANNED_KINDS: tuple[str, ...] = ()
# Kinds that take the caller over (answer, play, listen): alone in a block of a parallel
# scheme, since nothing can ring beside them; nor beside what decides at call time what
# rings (a webhook, a CRM lookup).
MEDIA_KINDS = ("ivr", "voicemail", "queue")
ALONE_KINDS = MEDIA_KINDS + REMOTE_KINDS
DIRECTION_KINDS = SUPPORTED_KINDS + PLANNED_KINDS
SCHEME_KINDS = ("sequential", "parallel")
MAX_TIMEOUT = 600

PHONE_NUMBER = re.compile(r"\+?\d{3,15}")
# Conservative on purpose: the URI ends up inside an Asterisk Dial() string, where
# '&', ',' and spaces would split or break it.
SIP_URI = re.compile(r"(?:sips?:)?[A-Za-z0-9._~+*#%!$'()=-]+@[A-Za-z0-9.-]+(?::\d{1,5})?")
NAMED_KINDS = ("employee", "department", "scheme", "ivr", "voicemail")  # follow the name rule
MAX_TARGET = 255


@dataclass(frozen=True)
class Direction:
    kind: str
    target: str

    def __str__(self) -> str:
        return f"{self.kind} {self.target!r}"


@dataclass(frozen=True)
class BlockSpec:
    directions: tuple[Direction, ...]
    timeout: int  # seconds


@dataclass(frozen=True)
class Branch:
    name: str
    schedule: WeeklySchedule
    blocks: tuple[BlockSpec, ...]
    off_hours: bool = False  # nights, weekends: voicemail plays the off-hours greeting


@dataclass(frozen=True)
class Scheme:
    name: str
    kind: str  # "sequential" | "parallel"
    branches: tuple[Branch, ...]
    music_on_hold: bool = False

    def branch_at(self, minute_of_week: int) -> Branch | None:
        """The first branch, in order, whose schedule contains the minute."""
        for branch in self.branches:
            if branch.schedule.contains_minute(minute_of_week):
                return branch
        return None


@dataclass(frozen=True)
class Problem:
    scheme: str
    branch: str | None
    block: int | None  # 1-based, as people count
    message: str

    def __str__(self) -> str:
        where = [f"scheme {shown(self.scheme)}"]
        if self.branch is not None:
            where.append(f"branch {shown(self.branch)}")
        if self.block is not None:
            where.append(f"block {self.block}")
        return f"{', '.join(where)}: {self.message}"


class SchemeError(ValueError):
    """A scheme that cannot be saved; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def copy_scheme(scheme: Scheme, new_name: str) -> Scheme:
    """All branches and blocks are immutable, so sharing them is a full copy."""
    if not isinstance(new_name, str) or not new_name.strip():
        raise ValueError("the copy needs a name")
    if new_name == scheme.name:
        raise ValueError(f"the copy of {scheme.name!r} needs a different name")
    return dataclasses.replace(scheme, name=new_name)


def rename_target(scheme: Scheme, kind: str, old: str, new: str) -> Scheme:
    """The scheme with every `kind` direction aimed at `old` aimed at `new` instead (an
    employee or department was renamed); the same object when nothing refers to `old`."""
    def direction(d: Direction) -> Direction:
        return Direction(kind, new) if d.kind == kind and d.target == old else d
    return map_directions(scheme, direction)


def map_directions(scheme: Scheme, fn) -> Scheme:
    """The scheme with `fn(direction)` in place of each direction (the same object when
    nothing changes)."""
    branches = tuple(dataclasses.replace(br, blocks=tuple(
        dataclasses.replace(bl, directions=tuple(map(fn, bl.directions)))
        for bl in br.blocks)) for br in scheme.branches)
    return scheme if branches == scheme.branches else dataclasses.replace(
        scheme, branches=branches)


def without_target(scheme: Scheme, kind: str, target: str) -> tuple[Scheme | None, list[str]]:
    """The scheme without its `kind` directions aimed at `target` (a force-delete detaches
    them), and what was dropped. A block left empty goes, then a branch left empty; None
    when no branch would be left (then the scheme itself must be edited or deleted)."""
    dropped: list[str] = []
    branches = []
    for br in scheme.branches:
        blocks = []
        for i, bl in enumerate(br.blocks, 1):
            keep = tuple(d for d in bl.directions if not (d.kind == kind and d.target == target))
            where = f"scheme {scheme.name!r}, branch {br.name!r}, block {i}"
            if len(keep) < len(bl.directions):
                dropped.append(f"{where}: direction {kind} {target!r} removed"
                               + ("" if keep else " (the block, now empty, too)"))
            if keep:
                blocks.append(dataclasses.replace(bl, directions=keep))
        if blocks:
            branches.append(dataclasses.replace(br, blocks=tuple(blocks)))
        elif br.blocks:
            dropped.append(f"scheme {scheme.name!r}, branch {br.name!r}: removed (no block "
                           "left; its hours are now uncovered)")
    if not branches:
        return None, dropped
    return dataclasses.replace(scheme, branches=tuple(branches)), dropped


# --- validation ---------------------------------------------------------------------

@dataclass(frozen=True)
class Known:
    """The names a direction may refer to, for validation."""
    directory: Directory
    schemes: Collection[str] = ()
    menus: Collection[str] = ()
    boxes: Collection[str] = ()
    queues: Collection[str] = ()
    webhooks: Collection[str] | None = None  # configured webhook names; None: not checked

    def __post_init__(self):
        logins = {a.login for a in self.directory.sip_accounts}
        logins.update(login for e in self.directory.employees for login in e.sip_logins)
        object.__setattr__(self, "logins", logins)
        object.__setattr__(self, "departments", {d.name for d in self.directory.departments})


def direction_problem(d: Direction, known: Known) -> str | None:
    """What is wrong with one direction, or None."""
    if d.kind not in DIRECTION_KINDS:
        return f"direction {d}: unknown kind (one of {', '.join(DIRECTION_KINDS)})"
    if d.kind in PLANNED_KINDS:
        return f"direction {d}: not yet supported"
    if not isinstance(d.target, str) or not d.target.strip():
        return f"direction {d.kind}: has no target"
    if d.kind == "employee" and known.directory.employee(d.target) is None:
        return f"direction {d}: no such employee"
    if d.kind == "department" and d.target not in known.departments:
        return f"direction {d}: no such department"
    if d.kind == "sip_account" and d.target not in known.logins:
        return f"direction {d}: no such SIP account"
    if d.kind == "scheme" and d.target not in known.schemes:
        return f"direction {d}: no such scheme"
    if d.kind == "ivr" and d.target not in known.menus:
        return f"direction {d}: no such IVR menu"
    if d.kind == "voicemail" and d.target not in known.boxes:
        return f"direction {d}: no such voicemail box"
    if d.kind == "queue" and d.target not in known.queues:
        return f"direction {d}: no such queue"
    if d.kind == "webhook" and known.webhooks is not None and d.target not in known.webhooks:
        return f"direction {d}: no such webhook (configured in callctl.yaml: " \
               f"{', '.join(sorted(known.webhooks)) or 'none'})"
    if d.kind == "crm_manager":
        try:
            parse_order(d.target)
        except ValueError as exc:
            return f"direction {d}: {exc}"
    if d.kind == "phone_number" and not PHONE_NUMBER.fullmatch(d.target):
        return f"direction {d}: not a phone number (3 to 15 digits, optional leading +)"
    if d.kind == "sip_uri" and not SIP_URI.fullmatch(d.target):
        return f"direction {d}: not a SIP URI (write it as sip:user@host or user@host:port)"
    return None


def _scheme_problems(scheme: Scheme, known: Known):
    s = scheme.name
    if scheme.kind not in SCHEME_KINDS:
        yield Problem(s, None, None, f"kind {scheme.kind!r}: must be sequential or parallel")
    if not scheme.branches:
        yield Problem(s, None, None, "has no branches")
    seen: set[str] = set()
    for branch in scheme.branches:
        b = branch.name
        if name_key(b) in seen:
            yield Problem(s, b, None, "another branch has the same name")
        seen.add(name_key(b))
        if not branch.schedule.days or not branch.schedule.ranges:
            yield Problem(s, b, None, "its schedule covers no minute of the week")
        if not branch.blocks:
            yield Problem(s, b, None, "has no blocks")
        for i, block in enumerate(branch.blocks, 1):
            t = block.timeout
            if isinstance(t, bool) or not isinstance(t, int) or not 1 <= t <= MAX_TIMEOUT:
                yield Problem(s, b, i, f"timeout {t} s: must be between 1 and {MAX_TIMEOUT}")
            if not block.directions:
                yield Problem(s, b, i, "has no directions")
            media = [d for d in block.directions if d.kind in ALONE_KINDS]
            if media and scheme.kind == "parallel" and len(block.directions) > 1:
                yield Problem(s, b, i, f"direction {media[0]}: must be alone in its block "
                                       f"(nothing can ring beside a menu, voicemail, "
                                       f"queue, webhook or CRM lookup)")
            for d in block.directions:
                message = direction_problem(d, known)
                if message:
                    yield Problem(s, b, i, message)


def _cycles(schemes: Mapping[str, Scheme]) -> list[Problem]:
    """Every reference cycle once, named in walking order: Sales -> Night -> Sales."""
    refs: dict[str, list[tuple[str, str, int]]] = {}
    for name, scheme in schemes.items():
        refs[name] = [(d.target, br.name, i) for br in scheme.branches
                      for i, bl in enumerate(br.blocks, 1)
                      for d in bl.directions if d.kind == "scheme" and d.target in schemes]
    problems, reported, done = [], set(), set()

    def visit(name: str, path: list[str]):
        for target, _, _ in refs[name]:
            if target in path:
                cycle = path[path.index(target):] + [target]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    # Point at the reference that leaves the cycle's first scheme.
                    branch, block = next((b, i) for t, b, i in refs[cycle[0]]
                                         if t == cycle[1])
                    problems.append(Problem(cycle[0], branch, block,
                                            f"direction scheme {cycle[1]!r}: cyclic scheme "
                                            f"reference {' -> '.join(cycle)}"))
            elif target not in done:
                visit(target, path + [target])
        done.add(name)

    for name in schemes:
        if name not in done:
            visit(name, [name])
    return problems


def validate(schemes: Mapping[str, Scheme], directory: Directory, *,
             menus: Collection[str] = (), boxes: Collection[str] = (),
             queues: Collection[str] = (),
             webhooks: Collection[str] | None = None) -> list[Problem]:
    """Everything that stops these schemes from being saved; empty when they are fine.
    `menus`, `boxes`, `queues`: the IVR menus, voicemail boxes, queues directions may name;
    `webhooks`: the configured webhooks (None: webhook names are not checked)."""
    known = Known(directory, schemes, menus, boxes, queues, webhooks)
    problems = []
    for name, scheme in schemes.items():
        if name != scheme.name:
            problems.append(Problem(name, None, None,
                                    f"is stored under a different name: {scheme.name!r}"))
        problems.extend(_scheme_problems(scheme, known))
    return problems + _cycles(schemes)


def overlaps(scheme: Scheme) -> list[str]:
    """Minutes that two branches both cover. Allowed (the first branch wins) but worth
    seeing, because the later branch never gets those calls."""
    out = []
    for i, first in enumerate(scheme.branches):
        for later in scheme.branches[i + 1:]:
            shared = first.schedule.week_minutes() & later.schedule.week_minutes()
            if shared:
                out.append(f"branches {first.name!r} and {later.name!r} overlap on "
                           f"{', '.join(format_ranges(shared))}: {first.name!r} "
                           f"takes those calls")
    return out


# --- plain dicts (YAML) -------------------------------------------------------------

def direction_from_dict(data) -> Direction:
    """{"employee": "Alice Smith"} or {"kind": "employee", "target": "Alice Smith"}."""
    if isinstance(data, dict) and set(data) == {"kind", "target"}:
        kind, target = data["kind"], data["target"]
    elif isinstance(data, dict) and len(data) == 1:
        (kind, target), = data.items()
    else:
        raise ValueError(f"direction {shown(data)}: write it as {{kind: target}}, "
                         f"e.g. {{employee: Alice Smith}}")
    if kind not in DIRECTION_KINDS:
        raise ValueError(f"direction key {shown(kind)}: unknown kind "
                         f"(one of {', '.join(DIRECTION_KINDS)})")
    if isinstance(target, int) and not isinstance(target, bool):
        # YAML reads +15550199 as 15550199 and 0040... as octal: the intent is lost.
        raise ValueError(f"direction {kind}: target {target} is a number, not text: write "
                         f"it in quotes, e.g. '+{target}'")
    try:
        target = clean_name(target) if kind in NAMED_KINDS else \
            clean_text(target, max_length=MAX_TARGET).strip()
    except BadName as exc:
        raise ValueError(f"direction {kind}: target {exc}") from None
    return Direction(kind, target)


def _check_keys(data, allowed: set[str], required: set[str], what: str):
    if not isinstance(data, dict):
        raise ValueError(f"{what} must be a mapping, got {shown(data)}")
    for key in data:
        if key not in allowed:
            raise ValueError(f"unknown key {shown(key)} (expected {', '.join(sorted(allowed))})")
    missing = sorted(required - set(data))
    if missing:
        raise ValueError(f"key {missing[0]!r} is missing")


def _block_from_dict(data, problems, s, b, i) -> BlockSpec | None:
    try:
        _check_keys(data, {"timeout", "directions"}, {"timeout", "directions"}, "a block")
        timeout = data["timeout"]
        if isinstance(timeout, bool) or not isinstance(timeout, int):
            raise ValueError(f"key 'timeout': {shown(timeout)} must be a whole number of "
                             f"seconds")
        raw = data["directions"]
        if not isinstance(raw, list):
            raise ValueError(f"key 'directions': must be a list, got {shown(raw)}")
    except ValueError as e:
        problems.append(Problem(s, b, i, str(e)))
        return None
    directions = []
    for d in raw:
        try:
            directions.append(direction_from_dict(d))
        except ValueError as e:
            problems.append(Problem(s, b, i, str(e)))
    return BlockSpec(tuple(directions), timeout)


def _branch_from_dict(data, problems, s, n) -> Branch | None:
    try:
        _check_keys(data, {"name", "schedule", "blocks", "off_hours"}, {"name", "blocks"},
                    "a branch")
        try:
            name = clean_name(data["name"])
        except BadName as exc:
            raise ValueError(f"key 'name': {exc}") from None
        if not isinstance(data.get("off_hours", False), bool):
            raise ValueError(f"key 'off_hours': {data['off_hours']!r} must be true or false")
    except ValueError as e:
        problems.append(Problem(s, f"#{n}", None, str(e)))
        return None
    try:
        schedule = WeeklySchedule.from_dict(data["schedule"]) if "schedule" in data \
            else WeeklySchedule.always()
    except ScheduleError as e:
        problems.append(Problem(s, name, None, f"key 'schedule': {e}"))
        schedule = None
    raw = data["blocks"]
    if not isinstance(raw, list):
        problems.append(Problem(s, name, None, f"key 'blocks': must be a list, got "
                                f"{shown(raw)}"))
        return None
    blocks = [_block_from_dict(bl, problems, s, name, i) for i, bl in enumerate(raw, 1)]
    if schedule is None or None in blocks:
        return None
    return Branch(name, schedule, tuple(blocks), data.get("off_hours", False))


def scheme_from_dict(data, name: str | None = None) -> Scheme:
    """A scheme from its YAML form; raises SchemeError naming scheme, branch, block, key.
    Structure only: `validate` then checks names against the directory."""
    s = name or (data.get("name") if isinstance(data, dict) else None) or "?"
    s = s if isinstance(s, str) else "?"
    problems: list[Problem] = []
    try:
        _check_keys(data, {"name", "kind", "branches", "music_on_hold"},
                    {"kind", "branches"} | (set() if name else {"name"}), "a scheme")
        if not isinstance(data["branches"], list):
            raise ValueError(f"key 'branches': must be a list, got {shown(data['branches'])}")
        if not isinstance(data.get("music_on_hold", False), bool):
            raise ValueError(f"key 'music_on_hold': {shown(data['music_on_hold'])} must be "
                             f"true or false")
        if data["kind"] not in SCHEME_KINDS:
            raise ValueError(f"key 'kind': {shown(data['kind'])} must be sequential or "
                             f"parallel")
    except ValueError as e:
        raise SchemeError([Problem(s, None, None, str(e))]) from None
    branches = [_branch_from_dict(b, problems, s, n)
                for n, b in enumerate(data["branches"], 1)]
    if problems:
        raise SchemeError(problems)
    return Scheme(s, data["kind"], tuple(branches), data.get("music_on_hold", False))


def scheme_to_dict(scheme: Scheme) -> dict:
    out = {"name": scheme.name, "kind": scheme.kind, "branches": [
        {"name": br.name, "schedule": br.schedule.to_dict(),
         **({"off_hours": True} if br.off_hours else {}), "blocks": [
            {"timeout": bl.timeout, "directions": [{d.kind: d.target} for d in bl.directions]}
            for bl in br.blocks]}
        for br in scheme.branches]}
    if scheme.music_on_hold:
        out["music_on_hold"] = True
    return out
