"""P4: how long `plan_call` takes for a 10-block, 3-branch scheme (pure code, no I/O).

The call is placed on a Sunday, so the first two branches (weekday hours, Saturday) are
checked and passed over and the third is walked: every block, every kind of direction the
planner supports (SIP account, employee, department, phone number, SIP URI, a nested scheme).
"""
from __future__ import annotations

import statistics
import timeit
from datetime import datetime
from zoneinfo import ZoneInfo

from callctl.domain.directory import Department, Directory, Employee, Presence
from callctl.domain.catalog import Catalog
from callctl.domain.planner import plan_call
from callctl.domain.schedule import WeeklySchedule
from callctl.domain.scheme import BlockSpec, Branch, Direction, Scheme, validate

TZ = "Europe/Berlin"
SUNDAY_11 = datetime(2026, 11, 29, 11, 0, tzinfo=ZoneInfo(TZ))


def world() -> tuple[dict, Directory, Presence]:
    staff = tuple(Employee(f"Agent {i}", str(300 + i), (f"agent{i}",), (f"+1555020{i:02d}",),
                           department="Sales" if i < 6 else "Support") for i in range(12))
    directory = Directory(employees=staff,
                          departments=(Department("Sales", "600"), Department("Support", "601")))
    presence = Presence(frozenset(f"agent{i}" for i in range(0, 12, 2)))  # half registered
    d = Direction
    kinds = [  # ten blocks, one of each shape, cycling through the direction kinds
        (d("sip_account", "agent0"), d("sip_account", "agent1")),
        (d("employee", "Agent 2"),),
        (d("department", "Sales"),),
        (d("employee", "Agent 3"), d("employee", "Agent 4"), d("employee", "Agent 5")),
        (d("phone_number", "+15550299"),),
        (d("department", "Support"), d("sip_account", "agent6")),
        (d("sip_uri", "sip:300@partner.example.com"),),
        (d("scheme", "overflow"),),
        (d("employee", "Agent 8"), d("phone_number", "+15550298")),
        (d("phone_number", "+15550297"),)]
    blocks = tuple(BlockSpec(dirs, 20) for dirs in kinds)
    branches = (
        Branch("weekdays", WeeklySchedule.from_dict(
            {"days": "mon-fri", "hours": ["09:00-13:00", "14:00-18:00"]}), blocks),
        Branch("saturday", WeeklySchedule.from_dict({"days": "sat", "hours": ["10:00-14:00"]}),
               blocks),
        Branch("rest", WeeklySchedule.from_dict({}), blocks))
    overflow = Scheme("overflow", "parallel", (Branch("always", WeeklySchedule.from_dict({}), (
        BlockSpec((d("employee", "Agent 10"), d("employee", "Agent 11")), 15),)),))
    main = Scheme("main", "sequential", branches)
    return {"main": main, "overflow": overflow}, directory, presence


def run(repeat: int = 15, number: int = 200) -> dict:
    schemes, directory, presence = world()
    catalog = Catalog(directory, schemes)

    def once():
        return plan_call("main", catalog, presence, SUNDAY_11, TZ)

    assert not validate(schemes, directory), validate(schemes, directory)  # a savable scheme
    result = once()
    assert result.branch == "rest" and len(schemes["main"].branches[2].blocks) == 10
    runs = [t / number * 1e6 for t in timeit.repeat(once, repeat=repeat, number=number)]
    return {"plan_us_median": round(statistics.median(runs), 1),
            "plan_us_min": round(min(runs), 1),
            "blocks_planned": len(result.ring_steps),
            "legs_planned": sum(len(s.targets) for s in result.ring_steps),
            "runs": repeat * number}


if __name__ == "__main__":
    print(run())
