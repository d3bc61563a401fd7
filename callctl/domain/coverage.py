"""Which minutes of the week a scheme covers, as text and as a heat-map picture.

A call in an uncovered minute goes to the number's fallback, so admins want to see the gaps.
"""
from __future__ import annotations

from pathlib import Path

from .png import write_png
from .scheme import Scheme
from .schedule import FULL_WEEK, MINUTES_PER_DAY, MINUTES_PER_WEEK, format_ranges

UNCOVERED = (214, 39, 40)
# Greens and blues, one per branch in order; they repeat past eight branches.
BRANCH_COLOURS = ((44, 160, 44), (31, 119, 180), (23, 190, 207), (152, 223, 138),
                  (0, 109, 44), (107, 174, 214), (8, 69, 148), (116, 196, 118))
GRID_SHADE = 0.75  # hour lines: the cell colour, darkened
ROW_GAP = (255, 255, 255)


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


def coverage_png(scheme: Scheme, path: str | Path, minutes_per_px: int = 2,
                 row_height: int = 24) -> Path:
    """Rows Mon..Sun, time left to right; red is uncovered, each branch its own colour,
    thin darker lines every hour and a white line between days."""
    owner = branch_by_minute(scheme)
    width = MINUTES_PER_DAY // minutes_per_px
    px_per_hour = 60 // minutes_per_px
    rows = []
    for day in range(7):
        line = bytearray()
        for x in range(width):
            start = day * MINUTES_PER_DAY + x * minutes_per_px
            marks = owner[start:start + minutes_per_px]
            # An uncovered minute anywhere in the pixel wins: a gap must never hide.
            colour = UNCOVERED if 0 in marks else \
                BRANCH_COLOURS[(marks[0] - 1) % len(BRANCH_COLOURS)]
            shade = GRID_SHADE if x % px_per_hour == 0 else 1.0
            line += bytes(int(c * shade) for c in colour)
        rows += [bytes(line)] * (row_height - 1) + [bytes(ROW_GAP) * width]
    return write_png(path, width, 7 * row_height, rows)
