"""Listing the call log: each filter, date ranges, and keyset pages that neither repeat nor
skip a call, even when many calls start in the same second."""
from datetime import datetime, timedelta, timezone

import pytest

from callctl.store.calls import BadCursor, CallLog
from callctl.store.db import make_engine, sessions, upgrade

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
STAFF = [("Ann Lee", "Sales"), ("Bob Roe", "Sales"), ("Cat Poe", "Support")]


@pytest.fixture
def log(database_url):
    url = database_url
    upgrade(url)
    engine = make_engine(url)
    yield CallLog(sessions(engine))
    engine.dispose()


def fill(log: CallLog, n: int) -> list[dict]:
    """n calls, three per second (ties on started_at), answered by turns or missed."""
    made = []
    for i in range(n):
        start = T0 + timedelta(seconds=i // 3)
        call = {"id": f"c{i:03}", "number": f"+1555010{i % 2}", "start": start,
                "who": STAFF[i % 4] if i % 4 < 3 else (None, None)}
        log.started(call["id"], "inbound", call["number"], "+15557654321", start)
        if call["who"][0]:
            log.answered(call["id"], call["who"][0], "PJSIP/x", start + timedelta(seconds=2),
                         department=call["who"][1])
        log.ended(call["id"], "answered" if call["who"][0] else "missed",
                  start + timedelta(seconds=30))
        made.append(call)
    return made


def newest_first(calls: list[dict]) -> list[str]:
    return [c["id"] for c in sorted(calls, key=lambda c: (c["start"], c["id"]), reverse=True)]


def all_pages(log: CallLog, limit: int, **filters) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = log.list_calls(limit=limit, before=cursor, **filters)
        pages.append([r.id for r in page.rows])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def test_given_ties_on_start_when_paged_by_7_then_every_call_once_newest_first(log):
    calls = fill(log, 40)
    pages = all_pages(log, 7)
    assert [len(p) for p in pages] == [7, 7, 7, 7, 7, 5]
    assert [i for p in pages for i in p] == newest_first(calls)


def test_given_an_exact_multiple_when_paged_then_the_last_full_page_has_no_cursor(log):
    fill(log, 12)
    assert [len(p) for p in all_pages(log, 6)] == [6, 6]


@pytest.mark.parametrize("filters, keep", [
    ({"employee": "Bob Roe"}, lambda c: c["who"][0] == "Bob Roe"),
    ({"department": "Sales"}, lambda c: c["who"][1] == "Sales"),
    ({"number": "+15550101"}, lambda c: c["number"] == "+15550101"),
    ({"outcome": "missed"}, lambda c: c["who"][0] is None),
    ({"outcome": "in_progress"}, lambda c: False),
    ({"employee": "Cat Poe", "number": "+15550100"},
     lambda c: c["who"][0] == "Cat Poe" and c["number"] == "+15550100"),
])
def test_given_a_filter_when_paged_then_exactly_the_matching_calls(log, filters, keep):
    calls = fill(log, 40)
    pages = all_pages(log, 4, **filters)
    assert [i for p in pages for i in p] == newest_first([c for c in calls if keep(c)])


def test_given_a_date_range_when_paged_then_since_inclusive_until_exclusive(log):
    calls = fill(log, 40)  # starts at T0 + 0..13 s
    since, until = T0 + timedelta(seconds=3), T0 + timedelta(seconds=9)
    pages = all_pages(log, 4, since=since, until=until)
    assert [i for p in pages for i in p] == newest_first(
        [c for c in calls if since <= c["start"] < until])


def test_given_a_cursor_from_a_later_page_when_until_is_later_then_the_cursor_wins(log):
    calls = fill(log, 40)
    first = log.list_calls(limit=10)
    page = log.list_calls(limit=10, before=first.next_cursor, until=T0 + timedelta(hours=1))
    assert [r.id for r in page.rows] == newest_first(calls)[10:20]


def test_given_legs_requested_when_listed_then_each_row_carries_its_legs(log):
    log.started("c1", "inbound", "+15550100", "+1555", T0)
    log.leg_skipped("c1", "PJSIP/ann", "Ann Lee", "offline", T0)
    (row,) = log.list_calls(with_legs=True).rows
    assert [leg.reason for leg in row.legs] == ["offline"]


def test_given_recent_when_called_like_the_daemon_does_then_newest_first(log):
    calls = fill(log, 5)
    assert [r.id for r in log.recent(3)] == newest_first(calls)[:3]


@pytest.mark.parametrize("kwargs, error, message", [
    ({"outcome": "voicemails"}, ValueError, "outcome: unknown 'voicemails'"),
    ({"limit": 0}, ValueError, "limit: must be between 1 and 500, got 0"),
    ({"limit": 501}, ValueError, "limit: must be between 1 and 500, got 501"),
    ({"before": "garbage!"}, BadCursor, "not a cursor from a previous page: 'garbage!'"),
    ({"before": "WyJ4Il0"}, BadCursor, "not a cursor"),  # valid base64 of '["x"]'
])
def test_given_bad_arguments_when_listed_then_refused_with_a_message(log, kwargs, error,
                                                                     message):
    with pytest.raises(error, match=message):
        log.list_calls(**kwargs)
