"""Feature codes pressed on a phone's keypad during a call, as Asterisk's features.conf has
them: `##` and a number then `#` transfers the other party now (blind), `*2` and a number
then `#` after talking to the colleague first (attended); during that consultation `*2`
completes the transfer and `*1` goes back to the caller.

Pure: digits and the moment they came in, actions out. The daemon takes a staff phone's
digits off the bridge (the other party would hear them) and forwards every digit that turns
out not to start a code, as Asterisk does with the digits of its own feature codes.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

DIGITS = "0123456789"
CODE = re.compile(r"[0-9*#]{1,8}")


@dataclass(frozen=True)
class FeatureCodes:
    blind: str = "##"
    attended: str = "*2"
    complete: str = "*2"  # during the consultation: hand the caller over
    cancel: str = "*1"  # during the consultation: back to the caller
    digit_timeout: float = 2.0  # seconds between the digits of a code
    number_timeout: float = 5.0  # seconds between the digits of the number after it

    def talking(self) -> dict[str, str]:
        return {self.blind: "blind", self.attended: "attended"}

    def consulting(self) -> dict[str, str]:
        return {self.complete: "complete", self.cancel: "cancel"}


def codes_problem(codes: Mapping[str, str]) -> str | None:
    """What is wrong with a set of codes pressed in the same situation, or None: each is 1
    to 8 keys of 0-9 * #, and none may start another (it would always win)."""
    for code, kind in codes.items():
        if not CODE.fullmatch(code):
            return f"{kind}: {code!r} is not 1 to 8 keys of 0-9, * and #"
    for a, kind_a in codes.items():
        for b, kind_b in codes.items():
            if kind_a != kind_b and b.startswith(a):
                return f"{kind_a} ({a!r}) and {kind_b} ({b!r}): one starts the other"
    return None


@dataclass(frozen=True)
class Forward:
    """Digits that are no code: they go on to the other party."""
    digits: str


@dataclass(frozen=True)
class Begin:
    """A code that takes a number was pressed: the number follows."""
    kind: str


@dataclass(frozen=True)
class Dial:
    kind: str
    number: str


@dataclass(frozen=True)
class Abort:
    """A code that takes a number was pressed, but no number came (or `*` gave up)."""
    kind: str


@dataclass(frozen=True)
class Command:
    """A code that takes no number was pressed."""
    kind: str


Action = Forward | Begin | Dial | Abort | Command


class Keypad:
    """One phone's digits during a call. `codes` maps a code to what it does; codes whose
    kind is in `with_number` collect a number after them, ended by `#` or a pause."""

    def __init__(self, codes: Mapping[str, str], with_number: frozenset[str] = frozenset(),
                 digit_timeout: float = 2.0, number_timeout: float = 5.0):
        self.codes, self.with_number = dict(codes), with_number
        self.digit_timeout, self.number_timeout = digit_timeout, number_timeout
        self.held = ""  # digits that may be the start of a code
        self.kind: str | None = None  # the code whose number is being keyed in
        self.number = ""
        self.deadline: float | None = None  # when the held digits or the number time out

    def press(self, digit: str, now: float) -> list[Action]:
        if self.kind is not None:
            return self._number(digit, now)
        candidate = self.held + digit
        # The longest tail of what was pressed that may still become a code is held; what
        # comes before it can no longer be one and goes on.
        cut = next((i for i in range(len(candidate))
                    if any(c.startswith(candidate[i:]) for c in self.codes)), len(candidate))
        passed, self.held = candidate[:cut], candidate[cut:]
        out: list[Action] = [Forward(passed)] if passed else []
        if self.held in self.codes:
            kind, self.held = self.codes[self.held], ""
            self.deadline = None
            if kind in self.with_number:
                self.kind, self.number = kind, ""
                self.deadline = now + self.number_timeout
                return out + [Begin(kind)]
            return out + [Command(kind)]
        self.deadline = now + self.digit_timeout if self.held else None
        return out

    def _number(self, digit: str, now: float) -> list[Action]:
        kind = self.kind
        if digit in DIGITS:
            self.number += digit
            self.deadline = now + self.number_timeout
            return []
        number = self.number
        self._reset()
        if digit == "#" and number:
            return [Dial(kind, number)]
        return [Abort(kind)]  # `*`, or `#` before any digit: given up

    def expire(self, now: float) -> list[Action]:
        """What the pause up to `now` decides (nothing before the deadline). A number whose
        digits stopped coming is dialled as it is, as Asterisk does."""
        if self.deadline is None or now < self.deadline:
            return []
        kind, number, held = self.kind, self.number, self.held
        self._reset()
        if kind is not None:
            return [Dial(kind, number)] if number else [Abort(kind)]
        return [Forward(held)] if held else []

    def _reset(self) -> None:
        self.held, self.kind, self.number, self.deadline = "", None, "", None
