"""Which minutes of the week a scheme covers, and which branch takes each one.

A call in an uncovered minute goes to the number's fallback, so admins want to see the gaps
(schemes/coverage_png.py draws this).
"""
from __future__ import annotations

from .scheme import Scheme
from .schedule import FULL_WEEK, MINUTES_PER_DAY, MINUTES_PER_WEEK, format_ranges


def covered_minutes(scheme: Scheme) -> int:
    mask = 0
    for branch in scheme.branches:
        mask |= branch.schedule.week_minutes()
    return mask


def uncovered(scheme: Scheme) -> list[str]:
    """['Sat 00:00–23:59 uncovered', ...]; empty when every minute has a branch."""
    return [f"{r} uncovered" for r in format_ranges(FULL_WEEK & ~covered_minutes(scheme))]


def branch_by_minute(scheme: Scheme) -> bytearray:
    """Per minute of the week: 0 uncovered, else 1 + index of the branch that takes it
    (the first in order, as when a call arrives)."""
    owner = bytearray(MINUTES_PER_WEEK)
    for i in range(len(scheme.branches) - 1, -1, -1):  # earlier branches overwrite later
        schedule = scheme.branches[i].schedule
        mark = min(i + 1, 255)
        for day in schedule.days:
            for r in schedule.ranges:
                a, b = day * MINUTES_PER_DAY + r.start, day * MINUTES_PER_DAY + r.end + 1
                owner[a:b] = bytes([mark]) * (b - a)
    return owner
