"""The daemon-absent programs (domain/fallback.py) as the AstDB family the dialplan walks
(dialplan/callctl.conf, context callctl-fallback). Small and meant to be read:

    /callctl_fallback/zone                : Europe/Berlin            (GotoIfTime's zone)
    /callctl_fallback/+15550120/1/hours   : 09:00-17:59,mon-fri      (rule 1 holds then)
    /callctl_fallback/+15550120/1/ring1   : PJSIP/manny&PJSIP/mona,20  (Dial()'s arguments)
    /callctl_fallback/+15550120/1/ring2   : PJSIP/bob,15
    /callctl_fallback/+15550120/2/hours   : 00:00-23:59,sat-sun
    /callctl_fallback/+15550120/backup    : PJSIP/+15550199@carrier,30

The first rule whose hours hold now rings its rings in order; then the backup; then a
recorded message. `hours` is GotoIfTime's own syntax: times, then days.
"""
from __future__ import annotations

from ..domain.fallback import FallbackProgram
from ..domain.flow import Ring
from ..domain.schedule import WeeklySchedule, hhmm
from .dial import dial_all

FAMILY = "callctl_fallback"
ASTERISK_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def fallback_table(programs: list[FallbackProgram], trunk: str, timezone: str) -> dict[str, str]:
    """AstDB keys (under FAMILY) -> values, for every program."""
    table = {"zone": timezone}
    for program in programs:
        for n, rule in enumerate(program.rules, 1):
            table[f"{program.number}/{n}/hours"] = hours(rule.schedule)
            for k, ring in enumerate(rule.rings, 1):
                table[f"{program.number}/{n}/ring{k}"] = dial_args(ring, trunk)
        if program.backup is not None:
            table[f"{program.number}/backup"] = dial_args(program.backup, trunk)
    return table


def dial_args(ring: Ring, trunk: str) -> str:
    return f"{dial_all(ring.targets, trunk)},{ring.timeout}"


def hours(schedule: WeeklySchedule) -> str:
    """'09:00-12:59&14:00-17:59,mon-fri': GotoIfTime's times and weekdays."""
    times = "&".join(f"{hhmm(r.start)}-{hhmm(r.end)}"
                     for r in sorted(schedule.ranges, key=lambda r: r.start))
    return f"{times},{'&'.join(_day_runs(schedule.days))}"


def _day_runs(days) -> list[str]:
    runs, ordered = [], sorted(days)
    for day in ordered:
        if runs and runs[-1][1] == day - 1:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [ASTERISK_DAYS[a] if a == b else f"{ASTERISK_DAYS[a]}-{ASTERISK_DAYS[b]}"
            for a, b in runs]
