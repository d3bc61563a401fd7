from callctl.domain.coverage import branch_by_minute, uncovered
from callctl.domain.schedule import WeeklySchedule
from callctl.domain.scheme import BlockSpec, Branch, Direction, Scheme

BLOCK = (BlockSpec((Direction("phone_number", "+15550199"),), 20),)


def scheme(*schedules):
    return Scheme("Main", "sequential", tuple(
        Branch(f"B{i}", WeeklySchedule.from_dict(s), BLOCK) for i, s in enumerate(schedules)))


OFFICE = scheme({"days": "mon-fri", "hours": ["09:00-18:00"]},
                {"days": "sat", "hours": ["10:00-14:00"]})


def test_given_office_hours_when_checked_then_gaps_listed_per_day():
    gaps = uncovered(OFFICE)
    assert gaps[:3] == ["Mon 00:00–08:59 uncovered", "Mon 18:01–23:59 uncovered",
                        "Tue 00:00–08:59 uncovered"]
    assert gaps[-3:] == ["Sat 00:00–09:59 uncovered", "Sat 14:01–23:59 uncovered",
                         "Sun 00:00–23:59 uncovered"]
    assert len(gaps) == 13


def test_given_adjacent_branches_when_checked_then_minutes_merge_into_no_gap():
    s = scheme({"hours": ["00:00-11:59"]}, {"hours": ["12:00-17:59"]},
               {"hours": ["18:00-23:59"]})
    assert uncovered(s) == []


def test_given_whole_week_covered_except_one_minute_when_checked_then_that_minute_shown():
    s = scheme({"days": "mon-sat"}, {"days": "sun", "hours": ["00:00-12:29", "12:31-23:59"]})
    assert uncovered(s) == ["Sun 12:30–12:30 uncovered"]


def test_given_no_branches_when_checked_then_every_day_uncovered():
    assert uncovered(Scheme("Empty", "parallel", ()))[0] == "Mon 00:00–23:59 uncovered"


def test_given_overlapping_branches_when_mapped_then_first_branch_owns_the_minute():
    owner = branch_by_minute(scheme({"days": "mon", "hours": ["09:00-12:00"]},
                                    {"days": "mon-tue"}))
    assert owner[9 * 60] == 1 and owner[8 * 60] == 2 and owner[1440 + 600] == 2
    assert owner[2 * 1440] == 0
