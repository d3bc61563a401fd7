"""What `callctl simulate` prints for a call: the plan's trace, and where the keys given
with --digits lead in the menus it meets, planned as the daemon would when pressed and
following the menu step's rules (calls/steps/menu.py): a wrong key replays the greeting,
up to `retries` times, then the menu's final direction (or the scheme's next step) takes
the call; `repeat` replays it; `hangup` ends the call."""
from __future__ import annotations

from datetime import datetime

from ..domain.catalog import Catalog
from ..domain.directory import Presence
from ..domain.flow import Menu, Voicemail
from ..domain.ivr import MENU_ONLY_KINDS
from ..domain.planner import PlanResult, plan_direction

MAX_DIGITS = 32  # keys --digits may give: far more than any real menu tree needs


def walk_digits(result: PlanResult, catalog: Catalog, presence: Presence, at: datetime,
                tz: str, digits: list[str]) -> list[str]:
    """Lines for the menus of `result`, taking the keys in order; keys no menu waited for
    are named at the end."""
    keys = list(digits)
    lines, _ = _follow(result, catalog, presence, at, tz, keys, "", None)
    if keys:
        lines.append(f"keys left over: {', '.join(keys)} (no menu was waiting for them)")
    return lines


def _follow(result: PlanResult, catalog: Catalog, presence: Presence, at: datetime, tz: str,
            keys: list[str], indent: str, budget: int | None) -> tuple[list[str], bool]:
    """(lines, stopped): stopped when the call ended or a menu waits for a key not given.
    `budget`: seconds left of the menu this one was chosen from (the daemon keeps to it)."""
    lines: list[str] = []
    for step in result.steps:
        if not isinstance(step, Menu):
            continue
        menu, misses = step.menu, 0
        seconds = step.timeout if budget is None else min(step.timeout, budget)
        while True:
            if not keys:
                options = ", ".join(f"{d} -> {_shown(c)}" for d, c in menu.options)
                lines.append(f"{indent}menu {menu.name!r}: no key given (--digits); keys: "
                             f"{options}")
                return lines, True
            key = keys.pop(0)
            choice = menu.choice(key)
            if choice is not None and choice.kind == "repeat":
                lines.append(f"{indent}menu {menu.name!r}: key {key}: the greeting plays again")
                continue
            if choice is None:
                misses += 1
                if misses <= menu.retries:
                    lines.append(f"{indent}menu {menu.name!r}: key {key} is not an option: the "
                                 f"caller hears {menu.invalid_prompt} and the greeting again "
                                 f"(try {misses} of {menu.retries})")
                    continue
                if menu.final is None:
                    lines.append(f"{indent}menu {menu.name!r}: key {key} is not an option, "
                                 f"no tries left: the call goes on after the menu")
                    break
                lines.append(f"{indent}menu {menu.name!r}: key {key} is not an option, no "
                             f"tries left: final direction {menu.final}")
                choice = menu.final
            else:
                lines.append(f"{indent}menu {menu.name!r}: key {key} -> {_shown(choice)}")
            if choice.kind == "hangup":
                lines.append(f"{indent}  the call ends")
                return lines, True
            sub = plan_direction(choice, catalog, presence, at, tz, menu.ring_timeout,
                                 step.off_hours)
            lines += [f"{indent}  {line}" for line in sub.trace]
            more, stopped = _follow(sub, catalog, presence, at, tz, keys, indent + "  ",
                                    seconds)
            lines += more
            if stopped:
                return lines, True
            if sub.steps and isinstance(sub.steps[-1], Voicemail):
                lines.append(f"{indent}  the call ends when the message is left")
                return lines, True
            lines.append(f"{indent}  if nobody answers there within the menu's {seconds} s, "
                         f"the call goes on after the menu")
            break
    return lines, False


def _shown(choice) -> str:
    return choice.kind if choice.kind in MENU_ONLY_KINDS else str(choice)
