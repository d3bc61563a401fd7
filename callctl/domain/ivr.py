"""IVR menus: a greeting, then a digit picks where the call goes.

Plain immutable data and its YAML form. A menu is a direction kind of schemes (`ivr: Main`)
and can serve a company number directly. What a digit leads to is planned when it is
pressed (see planner.plan_direction), so a menu always routes by the directory as it is
then: who is online, which branch of a scheme covers that minute.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from .flow import Prompt
from .names import BadName, clean_name, shown
from .scheme import Direction, direction_from_dict

DIGITS = "0123456789*#"
MENU_ONLY_KINDS = ("repeat", "hangup")  # options that are not directions elsewhere
MAX_DIGIT_TIMEOUT = 60
MAX_RETRIES = 9
MAX_RING_TIMEOUT = 600

DEFAULT_INVALID = Prompt("ivr-invalid", "default")
DEFAULT_NO_INPUT = Prompt("ivr-timeout", "default")


@dataclass(frozen=True)
class IvrMenu:
    name: str
    greeting: Prompt
    options: tuple[tuple[str, Direction], ...]  # (digit, where it leads), in digit order
    digit_timeout: int = 5  # seconds to wait for a digit once the greeting has played
    retries: int = 2  # replays after an invalid digit or no digit, before `final`
    invalid_prompt: Prompt = DEFAULT_INVALID
    no_input_prompt: Prompt = DEFAULT_NO_INPUT
    final: Direction | None = None  # after the retries; None: the scheme's next step
    ring_timeout: int = 30  # how long the people a digit chooses ring
    _by_digit: dict = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self):
        object.__setattr__(self, "_by_digit", dict(self.options))

    def choice(self, digit: str) -> Direction | None:
        return self._by_digit.get(digit)

    def prompts(self) -> list[Prompt]:
        return [self.greeting, self.invalid_prompt, self.no_input_prompt]

    def directions(self) -> list[Direction]:
        """Every direction the menu can lead to (for validation and "where is it used")."""
        out = [d for _, d in self.options if d.kind not in MENU_ONLY_KINDS]
        return out + ([self.final] if self.final is not None else [])


def rename_in_menu(menu: IvrMenu, kind: str, old: str, new: str) -> IvrMenu:
    """The menu with every `kind` direction aimed at `old` aimed at `new` (an employee or
    department was renamed); the same object when nothing refers to `old`."""
    def follow(d: Direction | None) -> Direction | None:
        return Direction(kind, new) if d is not None and (d.kind, d.target) == (kind, old) \
            else d
    options = tuple((digit, follow(d)) for digit, d in menu.options)
    final = follow(menu.final)
    if options == menu.options and final == menu.final:
        return menu
    return dataclasses.replace(menu, options=options, final=final)


class MenuError(ValueError):
    """A menu document that cannot be read; every problem, each naming where it is."""

    def __init__(self, menu: str, problems: list[str]):
        self.menu, self.problems = menu, problems
        super().__init__("\n".join(f"menu {shown(menu, 60)}: {p}" for p in problems))


# --- prompts in documents: "welcome" (uploaded), {default: ivr-invalid}, {asterisk: beep} ---

PROMPT_SOURCES = ("upload", "default", "asterisk")
# An Asterisk sound is played by name (`sound:NAME`): letters, digits, '-', '_' and folders,
# nothing that could reach outside its sounds directory or split an ARI media URI.
ASTERISK_SOUND = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*")


def prompt_from_value(value, where: str) -> Prompt:
    """"welcome" (an uploaded prompt), {default: KEY} (callctl's sounds) or {asterisk: NAME}
    (a sound Asterisk ships). Which uploaded prompts and default keys exist is checked
    elsewhere (catalog.menu_problems, the routing service)."""
    source, name = "upload", value
    if isinstance(value, dict) and len(value) == 1:
        (source, name), = value.items()
    elif not isinstance(value, str):
        source = None
    if source in PROMPT_SOURCES and isinstance(name, str):
        if source == "asterisk":
            if ASTERISK_SOUND.fullmatch(name):
                return Prompt(name, source)
        else:
            try:
                return Prompt(clean_name(name), source)
            except BadName as exc:
                raise ValueError(f"{where}: the prompt's name {exc}") from None
    raise ValueError(f"{where}: {shown(value, 40)} is not a prompt: give an uploaded "
                     f"prompt's name, or {{default: NAME}} / {{asterisk: NAME}}")


def prompt_to_value(prompt: Prompt):
    return prompt.name if prompt.source == "upload" else {prompt.source: prompt.name}


def _int(data: dict, key: str, default: int, low: int, high: int, problems: list) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(f"key {key!r}: {shown(value, 40)} must be a whole number from {low} "
                        f"to {high}")
        return default
    return value


def _option(digit, value, problems: list) -> tuple[str, Direction] | None:
    key = str(digit) if isinstance(digit, int) and not isinstance(digit, bool) else digit
    if not isinstance(key, str) or len(key) != 1 or key not in DIGITS:
        problems.append(f"option {shown(digit, 40)}: a key is one digit 0-9, * or # (quote "
                        f"'*' and '#' in YAML)")
        return None
    if value in MENU_ONLY_KINDS:
        return key, Direction(value, "")
    try:
        return key, direction_from_dict(value)
    except ValueError as exc:
        problems.append(f"option {key!r}: {exc} (or repeat / hangup)")
        return None


MENU_KEYS = {"name", "greeting", "options", "digit_timeout", "retries", "invalid_prompt",
             "no_input_prompt", "final", "ring_timeout"}


def menu_from_dict(data, name: str | None = None) -> IvrMenu:
    """A menu from its YAML form; raises MenuError naming every problem. Structure only:
    `catalog.problems` checks that what it names exists."""
    label = name or (data.get("name") if isinstance(data, dict) else None)
    label = label if isinstance(label, str) and label else "?"
    if not isinstance(data, dict):
        raise MenuError(label, [f"a menu must be a mapping, got {shown(data, 40)}"])
    problems: list[str] = []
    unknown = sorted(set(data) - MENU_KEYS, key=str)
    if unknown:
        problems.append(f"unknown key {shown(unknown[0], 40)} (expected "
                        f"{', '.join(sorted(MENU_KEYS))})")
    if name is None and not isinstance(data.get("name"), str):
        problems.append("key 'name' is missing")
    prompts = {}
    for key, default in (("greeting", None), ("invalid_prompt", DEFAULT_INVALID),
                         ("no_input_prompt", DEFAULT_NO_INPUT)):
        if key not in data:
            if default is None:
                problems.append(f"key {key!r} is missing")
            prompts[key] = default
            continue
        try:
            prompts[key] = prompt_from_value(data[key], f"key {key!r}")
        except ValueError as exc:
            problems.append(str(exc))
    raw = data.get("options")
    options = []
    if not isinstance(raw, dict) or not raw:
        problems.append("key 'options': give at least one digit, e.g. {1: {department: Sales}}")
    else:
        for digit, value in raw.items():
            option = _option(digit, value, problems)
            if option is not None and option[0] in (d for d, _ in options):
                # YAML reads `1:` as a number and `'1':` as text: two keys, one digit
                problems.append(f"option {option[0]!r}: is given twice")
            elif option is not None:
                options.append(option)
    final = None
    if data.get("final") is not None:
        try:
            final = direction_from_dict(data["final"])
        except ValueError as exc:
            problems.append(f"key 'final': {exc}")
    numbers = {key: _int(data, key, default, low, high, problems) for key, default, low, high in
               (("digit_timeout", 5, 1, MAX_DIGIT_TIMEOUT), ("retries", 2, 0, MAX_RETRIES),
                ("ring_timeout", 30, 1, MAX_RING_TIMEOUT))}
    if problems:
        raise MenuError(label, problems)
    options.sort(key=lambda o: DIGITS.index(o[0]))
    return IvrMenu(label, prompts["greeting"], tuple(options), numbers["digit_timeout"],
                   numbers["retries"], prompts["invalid_prompt"], prompts["no_input_prompt"],
                   final, numbers["ring_timeout"])


def menu_to_dict(menu: IvrMenu) -> dict:
    out = {"name": menu.name, "greeting": prompt_to_value(menu.greeting),
           "options": {digit: d.kind if d.kind in MENU_ONLY_KINDS else {d.kind: d.target}
                       for digit, d in menu.options},
           "digit_timeout": menu.digit_timeout, "retries": menu.retries,
           "ring_timeout": menu.ring_timeout}
    if menu.invalid_prompt != DEFAULT_INVALID:
        out["invalid_prompt"] = prompt_to_value(menu.invalid_prompt)
    if menu.no_input_prompt != DEFAULT_NO_INPUT:
        out["no_input_prompt"] = prompt_to_value(menu.no_input_prompt)
    if menu.final is not None:
        out["final"] = {menu.final.kind: menu.final.target}
    return out
