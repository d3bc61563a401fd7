from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from callctl.domain.schedule import FULL_WEEK, ScheduleError, TimeRange, WeeklySchedule, \
    format_ranges, minute_of_week, parse_days

BERLIN = "Europe/Berlin"
WORKDAYS = WeeklySchedule.from_dict({"days": "mon-fri", "hours": ["09:00-13:00", "14:00-18:00"]})


def test_given_range_text_when_parsed_then_minutes_of_day_both_ends_included():
    r = TimeRange.parse("09:00-18:00")
    assert (r.start, r.end) == (540, 1080)
    assert r.contains(1080) and not r.contains(1081) and not r.contains(539)


def test_given_en_dash_and_spaces_when_parsed_then_accepted():
    assert TimeRange.parse(" 9:05 – 17:30 ") == TimeRange(545, 1050)


def test_given_range_crossing_midnight_when_parsed_then_refused_with_split_advice():
    with pytest.raises(ScheduleError) as e:
        TimeRange.parse("18:01–08:59")
    assert str(e.value) == \
        "18:01–08:59 crosses midnight: split it into 18:01–23:59 and 00:00–08:59"


def test_given_range_crossing_midnight_when_built_directly_then_refused_too():
    with pytest.raises(ScheduleError, match="crosses midnight"):
        TimeRange(1081, 539)


@pytest.mark.parametrize("text", ["9am-5pm", "09:00", "09:00-", "0900-1800", ""])
def test_given_bad_syntax_when_parsed_then_message_quotes_text(text):
    with pytest.raises(ScheduleError) as e:
        TimeRange.parse(text)
    assert str(e.value).startswith(f"{text!r} is not a time range: write it as HH:MM-HH:MM")


@pytest.mark.parametrize("text,bad", [("09:00-24:00", "24:00"), ("08:60-09:00", "08:60")])
def test_given_time_out_of_range_when_parsed_then_message_quotes_text_and_time(text, bad):
    with pytest.raises(ScheduleError) as e:
        TimeRange.parse(text)
    assert str(e.value).startswith(f"{text!r}: {bad} is not a time of day (00:00–23:59")


def test_given_day_specs_when_parsed_then_weekday_numbers():
    assert parse_days("mon-fri") == frozenset(range(5))
    assert parse_days(["sat", "Sunday"]) == frozenset({5, 6})
    assert parse_days(["mon", "wed-thu"]) == frozenset({0, 2, 3})
    assert parse_days("fri-mon") == frozenset({4, 5, 6, 0})


def test_given_unknown_day_when_parsed_then_message_names_it():
    with pytest.raises(ScheduleError, match="'funday' is not a day"):
        parse_days("mon-funday")


def test_given_dict_without_days_or_hours_when_parsed_then_all_of_it():
    assert WeeklySchedule.from_dict({}) == WeeklySchedule.always()
    weekend = WeeklySchedule.from_dict({"days": "sat-sun"})
    assert weekend.ranges == (TimeRange(0, 1439),)


@pytest.mark.parametrize("data,message", [
    ({"day": "mon"}, "unknown key 'day'"),
    ({"hours": []}, r"hours \[\]: give ranges"),
    ({"hours": ["22:00-06:00"]}, "crosses midnight"),
    ("mon-fri", "schedule must be a mapping"),
])
def test_given_bad_schedule_dict_when_parsed_then_refused_with_reason(data, message):
    with pytest.raises(ScheduleError, match=message):
        WeeklySchedule.from_dict(data)


def test_given_schedule_when_round_tripped_through_dict_then_equal():
    for s in (WORKDAYS, WeeklySchedule.from_dict({"days": ["mon", "wed", "sat-sun"]})):
        assert WeeklySchedule.from_dict(s.to_dict()) == s
    assert WORKDAYS.to_dict() == {"days": "mon-fri", "hours": ["09:00-13:00", "14:00-18:00"]}


def test_given_aware_utc_time_when_checked_then_converted_to_project_zone_first():
    # Tue 24 Nov 2026, CET = UTC+1: 07:59Z is 08:59 local, 08:00Z is 09:00 local.
    assert not WORKDAYS.contains(datetime(2026, 11, 24, 7, 59, tzinfo=timezone.utc), BERLIN)
    assert WORKDAYS.contains(datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc), BERLIN)
    # Summer time, UTC+2: 07:00Z is 09:00 local.
    assert WORKDAYS.contains(datetime(2026, 7, 7, 7, 0, tzinfo=timezone.utc), BERLIN)


def test_given_local_times_when_checked_then_days_ranges_and_lunch_gap_respected():
    at = lambda d, h, m: datetime(2026, 11, d, h, m, tzinfo=ZoneInfo(BERLIN))  # noqa: E731
    assert WORKDAYS.contains(at(23, 9, 0))  # Monday
    assert WORKDAYS.contains(at(27, 18, 0))  # Friday, last included minute
    assert not WORKDAYS.contains(at(27, 18, 1))
    assert not WORKDAYS.contains(at(24, 13, 30))  # lunch
    assert not WORKDAYS.contains(at(28, 10, 0))  # Saturday


def test_given_time_across_a_day_boundary_in_utc_when_converted_then_local_weekday_used():
    # Sat 00:30 in Berlin is still Friday 23:30 in UTC.
    saturday = datetime(2026, 11, 27, 23, 30, tzinfo=timezone.utc)
    assert minute_of_week(saturday, BERLIN) == 5 * 1440 + 30


def test_given_schedule_when_week_minutes_then_bitmask_of_covered_minutes():
    mask = WORKDAYS.week_minutes()
    assert bin(mask).count("1") == 5 * (241 + 241)
    assert mask >> (540) & 1 and not mask >> (539) & 1
    assert not mask >> (5 * 1440 + 600) & 1
    assert WeeklySchedule.always().week_minutes() == FULL_WEEK


def test_given_mask_when_formatted_then_runs_per_day():
    assert format_ranges(WORKDAYS.week_minutes())[:3] == \
        ["Mon 09:00–13:00", "Mon 14:00–18:00", "Tue 09:00–13:00"]
    assert format_ranges(FULL_WEEK)[-1] == "Sun 00:00–23:59"


def test_given_schedule_when_described_then_readable():
    assert str(WORKDAYS) == "Mon–Fri 09:00–13:00, 14:00–18:00"
    assert str(WeeklySchedule.always()) == "every day 00:00–23:59"
    assert str(WeeklySchedule.from_dict({"days": ["mon", "wed", "sat-sun"]})) == \
        "Mon, Wed, Sat, Sun 00:00–23:59"
