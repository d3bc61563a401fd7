"""What `callctl simulate` prints for a call: the plan's trace, and where the digits given
with --digits lead in the menus it meets (planned as the daemon would when pressed)."""
from __future__ import annotations

from datetime import datetime

from ..domain.catalog import Catalog
from ..domain.directory import Presence
from ..domain.flow import Menu
from ..domain.planner import PlanResult, plan_direction

MAX_MENUS = 16  # digits leading from menu to menu: enough for any real tree


def follow_digits(result: PlanResult, catalog: Catalog, presence: Presence, at: datetime,
                  tz: str, digits: list[str], indent: str = "") -> list[str]:
    """Lines for each menu of `result` in turn, taking one digit from `digits` each."""
    lines: list[str] = []
    for step in result.steps:
        if not isinstance(step, Menu) or len(lines) > MAX_MENUS * 20:
            continue
        menu = step.menu
        if not digits:
            keys = ", ".join(f"{d} -> {c}" for d, c in menu.options)
            lines.append(f"{indent}menu {menu.name!r}: no digit given (--digits); keys: {keys}")
            return lines
        digit = digits.pop(0)
        choice = menu.choice(digit)
        if choice is None:
            lines.append(f"{indent}menu {menu.name!r}: key {digit} is not an option: the "
                         f"caller hears {menu.invalid_prompt} and the greeting again")
            continue
        lines.append(f"{indent}menu {menu.name!r}: key {digit} -> {choice}")
        if choice.kind in ("repeat", "hangup"):
            lines.append(f"{indent}  the menu {'plays again' if choice.kind == 'repeat' else 'ends the call'}")
            continue
        sub = plan_direction(choice, catalog, presence, at, tz, menu.ring_timeout,
                             step.off_hours)
        lines += [f"{indent}  {line}" for line in sub.trace]
        lines += follow_digits(sub, catalog, presence, at, tz, digits, indent + "  ")
        lines.append(f"{indent}  if nobody answers there within the menu's {step.timeout} s, "
                     f"the call goes on after the menu")
    return lines
