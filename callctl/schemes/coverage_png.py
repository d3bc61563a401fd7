"""The coverage picture of a scheme, drawn with matplotlib: a row per day (Monday on top),
the hours across, each minute in the colour of the branch that takes a call then (the
first in order, as a call would be routed), uncovered minutes in red, and a legend.
`callctl schemes coverage NAME --png FILE`; the text listing beside it stays the reference.
"""
from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..domain.coverage import branch_by_minute
from ..domain.schedule import DAY_LABELS, MINUTES_PER_DAY
from ..domain.scheme import Scheme

UNCOVERED = "#d62728"  # red: nothing else in the picture is
# One per branch in order (matplotlib's tab10 without its red and orange); they repeat.
BRANCH_COLOURS = ("#2ca02c", "#1f77b4", "#9467bd", "#17becf", "#8c564b", "#e377c2",
                  "#7f7f7f", "#bcbd22")
BAR = 0.8  # of a day's row


def branch_colour(index: int) -> str:
    return BRANCH_COLOURS[index % len(BRANCH_COLOURS)]


def day_runs(owner: bytes, day: int) -> list[tuple[int, int, int]]:
    """(first minute, minutes, mark) of one day: mark 0 is uncovered, else 1 + branch."""
    row = owner[day * MINUTES_PER_DAY:(day + 1) * MINUTES_PER_DAY]
    runs, start = [], 0
    for m in range(1, MINUTES_PER_DAY + 1):
        if m == MINUTES_PER_DAY or row[m] != row[start]:
            runs.append((start, m - start, row[start]))
            start = m
    return runs


def coverage_figure(scheme: Scheme, timezone: str | None = None):
    """The picture as a matplotlib Figure (no pyplot: no global state, no display)."""
    owner = branch_by_minute(scheme)
    fig = Figure(figsize=(11, 4.2), dpi=100, layout="constrained")
    ax = fig.subplots()
    runs = [(day, *run) for day in range(7) for run in day_runs(owner, day)]
    # Gaps last, with an edge of their own colour: a one-minute gap is under a pixel wide
    # here and must still show.
    for day, start, length, mark in sorted(runs, key=lambda r: r[3] == 0):
        colour = UNCOVERED if mark == 0 else branch_colour(mark - 1)
        ax.broken_barh([(start / 60, length / 60)], (day - BAR / 2, BAR), facecolors=colour,
                       edgecolors=colour, linewidth=1.0 if mark == 0 else 0)
    ax.set_xlim(0, 24)
    ax.set_ylim(6.5, -0.5)  # Monday on top
    ax.set_xticks(range(0, 25, 2), [f"{h:02d}:00" for h in range(0, 25, 2)])
    ax.set_xticks(range(25), minor=True)
    ax.set_yticks(range(7), DAY_LABELS)
    ax.grid(axis="x", which="both", color="white", linewidth=0.6)
    ax.set_axisbelow(False)
    ax.set_xlabel(f"time of day ({timezone})" if timezone else "time of day")
    ax.set_title(f"Forwarding scheme {scheme.name!r}: the branch that takes a call, "
                 f"minute by minute")
    handles = [Patch(color=branch_colour(i), label=f"branch {b.name!r}: {b.schedule}")
               for i, b in enumerate(scheme.branches)]
    handles.append(Patch(color=UNCOVERED, label="uncovered: the number's fallback takes "
                                                "the call"))
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    return fig


def coverage_png(scheme: Scheme, path: str | Path, timezone: str | None = None) -> Path:
    path = Path(path)
    coverage_figure(scheme, timezone).savefig(path, format="png")
    return path
