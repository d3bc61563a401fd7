"""Weekly schedules at minute resolution: which minutes of the week a branch covers.

Pure data. A minute of the week is 0 for Monday 00:00 up to 10079 for Sunday 23:59; a set
of such minutes is a Python int used as a 10080-bit mask, which makes union, overlap and
coverage checks one operator each.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
FULL_WEEK = (1 << MINUTES_PER_WEEK) - 1
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                   "sunday")
_RANGE = re.compile(r"\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*")


class ScheduleError(ValueError):
    """A schedule someone wrote is wrong; the message says what and how to fix it."""


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True)
class TimeRange:
    """Minutes of one day, both ends included: 09:00–18:00 covers 18:00 too."""
    start: int
    end: int

    def __post_init__(self):
        for m in (self.start, self.end):
            if not 0 <= m < MINUTES_PER_DAY:
                raise ScheduleError(f"minute {m} is not a time of day (00:00–23:59)")
        if self.start > self.end:
            # Days are the unit of a schedule, so a night shift is two ranges on two days.
            raise ScheduleError(
                f"{hhmm(self.start)}–{hhmm(self.end)} crosses midnight: split it into "
                f"{hhmm(self.start)}–23:59 and 00:00–{hhmm(self.end)}")

    @classmethod
    def parse(cls, text: str) -> TimeRange:
        match = _RANGE.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise ScheduleError(f"{text!r} is not a time range: write it as HH:MM-HH:MM, "
                                f"e.g. 09:00-18:00")
        h1, m1, h2, m2 = map(int, match.groups())
        for h, m in ((h1, m1), (h2, m2)):
            if h > 23 or m > 59:
                raise ScheduleError(f"{text!r}: {h:02d}:{m:02d} is not a time of day "
                                    f"(00:00–23:59; a range includes its last minute)")
        return cls(h1 * 60 + m1, h2 * 60 + m2)

    def __str__(self) -> str:
        return f"{hhmm(self.start)}–{hhmm(self.end)}"

    def contains(self, minute_of_day: int) -> bool:
        return self.start <= minute_of_day <= self.end


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def minute_of_week(at: datetime, tz: str | None = None) -> int:
    """`at` (aware) seen in the project's zone `tz`; a naive `at` is taken as local already."""
    if tz is not None:
        at = at.astimezone(zone(tz))
    return at.weekday() * MINUTES_PER_DAY + at.hour * 60 + at.minute


def describe_minute(minute_of_week_: int) -> str:
    day, minute = divmod(minute_of_week_, MINUTES_PER_DAY)
    return f"{DAY_LABELS[day]} {hhmm(minute)}"


def mask_ranges(mask: int) -> list[tuple[int, int, int]]:
    """(day, first minute, last minute) runs of set bits, split at midnight."""
    bits = format(mask & FULL_WEEK, f"0{MINUTES_PER_WEEK}b")[::-1]  # bit i at index i
    runs = []
    for day in range(7):
        row = bits[day * MINUTES_PER_DAY:(day + 1) * MINUTES_PER_DAY]
        runs.extend((day, m.start(), m.end() - 1) for m in re.finditer("1+", row))
    return runs


def format_ranges(mask: int) -> list[str]:
    """Readable runs of a minute mask: ['Sat 00:00–23:59', 'Mon 18:01–23:59']."""
    return [f"{DAY_LABELS[d]} {hhmm(a)}–{hhmm(b)}" for d, a, b in mask_ranges(mask)]


def _day_runs(days: frozenset[int]) -> str:
    """{0,1,2,3,4} -> 'Mon–Fri'; {0,2} -> 'Mon, Wed'."""
    parts, ordered = [], sorted(days)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        a, b = DAY_LABELS[ordered[i]], DAY_LABELS[ordered[j]]
        parts.append(a if i == j else f"{a}, {b}" if j == i + 1 else f"{a}–{b}")
        i = j + 1
    return ", ".join(parts)


def _parse_day(word: str) -> int:
    w = word.strip().lower()
    if w in DAY_NAMES:
        return DAY_NAMES.index(w)
    if w in _FULL_DAY_NAMES:
        return _FULL_DAY_NAMES.index(w)
    raise ScheduleError(f"{word!r} is not a day: use mon, tue, wed, thu, fri, sat, sun")


def parse_days(value) -> frozenset[int]:
    """'mon-fri', 'sat', ['mon', 'wed-fri'] -> weekday numbers (0 = Monday).
    A day range may wrap the week end ('fri-mon'): unlike hours, that is unambiguous."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not items:
        raise ScheduleError(f"days {value!r}: give day names like 'mon-fri' or [sat, sun]")
    days: set[int] = set()
    for item in items:
        if not isinstance(item, str):
            raise ScheduleError(f"days: {item!r} is not a day name")
        for part in item.split(","):
            ends = re.split(r"[-–]", part)
            if len(ends) == 1:
                days.add(_parse_day(ends[0]))
            elif len(ends) == 2:
                a, b = _parse_day(ends[0]), _parse_day(ends[1])
                days.update(d % 7 for d in range(a, a + (b - a) % 7 + 1))
            else:
                raise ScheduleError(f"days: {part!r} is not a day or a day range")
    return frozenset(days)


@dataclass(frozen=True)
class WeeklySchedule:
    days: frozenset[int]  # 0 = Monday .. 6 = Sunday
    ranges: tuple[TimeRange, ...]

    @classmethod
    def always(cls) -> WeeklySchedule:
        return cls(frozenset(range(7)), (TimeRange(0, MINUTES_PER_DAY - 1),))

    @classmethod
    def from_dict(cls, data) -> WeeklySchedule:
        """{"days": "mon-fri", "hours": ["09:00-13:00", "14:00-18:00"]}; a missing key
        means all of it (no `days`: every day; no `hours`: the whole day)."""
        if not isinstance(data, dict):
            raise ScheduleError(f"schedule must be a mapping with days and hours, "
                                f"got {data!r}")
        unknown = sorted(set(data) - {"days", "hours"})
        if unknown:
            raise ScheduleError(f"unknown key {unknown[0]!r} (expected days, hours)")
        days = parse_days(data["days"]) if "days" in data else frozenset(range(7))
        hours = data.get("hours", ["00:00-23:59"])
        if isinstance(hours, str):
            hours = [hours]
        if not isinstance(hours, (list, tuple)) or not hours:
            raise ScheduleError(f"hours {hours!r}: give ranges like ['09:00-18:00']")
        return cls(days, tuple(TimeRange.parse(h) for h in hours))

    def to_dict(self) -> dict:
        runs = _day_runs(self.days).lower().replace("–", "-").split(", ")
        return {"days": runs[0] if len(runs) == 1 else runs,
                "hours": [f"{hhmm(r.start)}-{hhmm(r.end)}" for r in self.ranges]}

    def contains(self, at: datetime, tz: str | None = None) -> bool:
        """`at` in the project's zone: pass `tz` to convert an aware datetime first."""
        return self.contains_minute(minute_of_week(at, tz))

    def contains_minute(self, minute_of_week_: int) -> bool:
        day, minute = divmod(minute_of_week_, MINUTES_PER_DAY)
        if day not in self.days:
            return False
        for r in self.ranges:
            if r.start <= minute <= r.end:
                return True
        return False

    def week_minutes(self) -> int:
        """The covered minutes of the week as a 10080-bit int (bit 0 = Mon 00:00)."""
        return self._mask

    @cached_property  # frozen dataclasses still allow this: it writes __dict__ directly
    def _mask(self) -> int:
        day_mask = 0
        for r in self.ranges:
            day_mask |= ((1 << (r.end - r.start + 1)) - 1) << r.start
        mask = 0
        for d in self.days:
            mask |= day_mask << (d * MINUTES_PER_DAY)
        return mask

    @cached_property
    def description(self) -> str:
        """'Mon–Fri 09:00–13:00, 14:00–18:00'; 'every day 00:00–23:59'."""
        days = "every day" if len(self.days) == 7 else _day_runs(self.days) or "no day"
        hours = ", ".join(str(r) for r in sorted(self.ranges, key=lambda r: r.start))
        return f"{days} {hours or 'no hours'}"

    def __str__(self) -> str:
        return self.description
