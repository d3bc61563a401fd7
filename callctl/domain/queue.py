"""Call queues: who answers (operators), how they are offered calls (strategy), how long
callers wait and what they hear meanwhile. Plain immutable data and its YAML form.

A queue is a direction kind of schemes (`queue: Sales`) and can serve a company number
directly. Its operators are directions too: a SIP account, an employee (their primary
contacts), a department (each member, one operator each).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .directory import Directory, Presence
from .flow import Prompt, Target
from .ivr import DIGITS, prompt_from_value, prompt_to_value
from .queueing import STRATEGIES, Operator
from .scheme import Direction, direction_from_dict

OPERATOR_KINDS = ("sip_account", "employee", "department")
DEFAULT_ANNOUNCEMENT = Prompt("queue-busy", "default")
LIMITS = {  # key: (default, lowest, highest)
    "ring_seconds": (15, 1, 300), "retry_seconds": (5, 0, 300), "max_wait": (120, 1, 3600),
    "max_callers": (0, 0, 1000), "wrapup_seconds": (0, 0, 600),
    "announce_every": (0, 0, 3600), "service_level": (30, 1, 3600)}


@dataclass(frozen=True)
class CallQueue:
    name: str
    operators: tuple[Direction, ...]  # in order: linear and ties follow it
    strategy: str = "ringall"
    ring_seconds: int = 15  # how long one offer rings
    retry_seconds: int = 5  # a caller's pause between an unanswered offer and the next
    max_wait: int = 120  # then the caller goes on with the scheme's next step
    max_callers: int = 0  # waiting callers at most (0: no limit); beyond: the next step
    wrapup_seconds: int = 0  # after a queue call, before the operator is offered another
    music: Prompt | None = None  # None: Asterisk's default music on hold
    announce_every: int = 0  # seconds between periodic announcements (0: none)
    announcement: Prompt = DEFAULT_ANNOUNCEMENT
    announce_position: bool = False  # also "you are caller number N"
    callback_digit: str | None = None  # pressed while waiting: called back instead
    service_level: int = 30  # reports: answered within this many seconds

    def prompts(self) -> list[Prompt]:
        return [p for p in (self.music, self.announcement) if p is not None]


def operators(queue: CallQueue, directory: Directory, presence: Presence) -> list[Operator]:
    """Everyone the queue could offer calls to now: online, with something that rings.
    Busy and wrap-up are not decided here (the operator board knows them)."""
    out: dict[str, Operator] = {}

    def add(party: str, targets: list[Target]) -> None:
        if targets and party not in out:
            out[party] = Operator(party, tuple(targets), len(out))

    for d in queue.operators:
        if d.kind == "sip_account":
            owner = directory.by_login(d.target)
            if presence.sip_reachable(d.target) and (owner is None or owner.online):
                add(owner.name if owner else f"sip:{d.target}",
                    [Target("sip", d.target, owner.name if owner else None)])
        else:
            people = directory.members(d.target) if d.kind == "department" else \
                [e for e in [directory.employee(d.target)] if e is not None]
            for e in people:
                if e.online:
                    add(e.name, [*(Target("sip", login, e.name) for login in e.sip_logins
                                   if presence.sip_reachable(login)),
                                 *(Target("phone", n, e.name) for n in e.phone_numbers)])
    return list(out.values())


def rename_in_queue(queue: CallQueue, kind: str, old: str, new: str) -> CallQueue:
    """The queue with its `kind` operator `old` renamed `new` (same object if none)."""
    ops = tuple(Direction(kind, new) if (d.kind, d.target) == (kind, old) else d
                for d in queue.operators)
    return queue if ops == queue.operators else dataclasses.replace(queue, operators=ops)


def members(queue: CallQueue, directory: Directory) -> list[str]:
    """Every party the queue names, online or not, in order (for its status)."""
    out: list[str] = []
    for d in queue.operators:
        if d.kind == "sip_account":
            owner = directory.by_login(d.target)
            names = [owner.name if owner else f"sip:{d.target}"]
        elif d.kind == "department":
            names = [e.name for e in directory.members(d.target)]
        else:
            names = [d.target]
        out += [n for n in names if n not in out]
    return out


class QueueError(ValueError):
    def __init__(self, queue: str, problems: list[str]):
        self.queue, self.problems = queue, problems
        super().__init__("\n".join(f"queue {queue!r}: {p}" for p in problems))


QUEUE_KEYS = {"name", "operators", "strategy", "music", "announcement", "announce_position",
              "callback_digit", *LIMITS}


def queue_from_dict(data, name: str | None = None) -> CallQueue:
    """A queue from its YAML form; raises QueueError naming every problem. Structure only:
    catalog checks that the operators and prompts exist."""
    label = name or (data.get("name") if isinstance(data, dict) else None) or "?"
    if not isinstance(data, dict):
        raise QueueError(label, [f"a queue must be a mapping, got {data!r}"])
    problems: list[str] = []
    unknown = sorted(set(data) - QUEUE_KEYS, key=str)
    if unknown:
        problems.append(f"unknown key {unknown[0]!r} (expected {', '.join(sorted(QUEUE_KEYS))})")
    if name is None and not isinstance(data.get("name"), str):
        problems.append("key 'name' is missing")
    ops = []
    raw = data.get("operators")
    if not isinstance(raw, list) or not raw:
        problems.append("key 'operators': give at least one, e.g. [{department: Sales}]")
    else:
        for i, item in enumerate(raw, 1):
            try:
                d = direction_from_dict(item)
            except ValueError as exc:
                problems.append(f"operator {i}: {exc}")
                continue
            if d.kind not in OPERATOR_KINDS:
                problems.append(f"operator {i}: {d}: an operator is a "
                                f"{', '.join(OPERATOR_KINDS)}")
            else:
                ops.append(d)
    strategy = data.get("strategy", "ringall")
    if strategy not in STRATEGIES:
        problems.append(f"key 'strategy': {strategy!r} is not one of {', '.join(STRATEGIES)}")
    numbers = {}
    for key, (default, low, high) in LIMITS.items():
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(f"key {key!r}: {value!r} must be a whole number from {low} to "
                            f"{high}")
        numbers[key] = value
    prompts = {}
    for key, default in (("music", None), ("announcement", DEFAULT_ANNOUNCEMENT)):
        try:
            prompts[key] = default if data.get(key) is None else \
                prompt_from_value(data[key], f"key {key!r}")
        except ValueError as exc:
            problems.append(str(exc))
    if not isinstance(data.get("announce_position", False), bool):
        problems.append(f"key 'announce_position': {data['announce_position']!r} must be "
                        f"true or false")
    digit = data.get("callback_digit")
    if isinstance(digit, int) and not isinstance(digit, bool):
        digit = str(digit)
    if digit is not None and (not isinstance(digit, str) or len(digit) != 1
                              or digit not in DIGITS):
        problems.append(f"key 'callback_digit': {data['callback_digit']!r} must be one of "
                        f"0-9, * or #")
    if problems:
        raise QueueError(label, problems)
    return CallQueue(label, tuple(ops), strategy, music=prompts["music"],
                     announcement=prompts["announcement"],
                     announce_position=data.get("announce_position", False),
                     callback_digit=digit, **numbers)


def queue_to_dict(queue: CallQueue) -> dict:
    out = {"name": queue.name, "operators": [{d.kind: d.target} for d in queue.operators],
           "strategy": queue.strategy,
           **{key: getattr(queue, key) for key in LIMITS}}
    if queue.music is not None:
        out["music"] = prompt_to_value(queue.music)
    if queue.announcement != DEFAULT_ANNOUNCEMENT:
        out["announcement"] = prompt_to_value(queue.announcement)
    if queue.announce_position:
        out["announce_position"] = True
    if queue.callback_digit is not None:
        out["callback_digit"] = queue.callback_digit
    return out
