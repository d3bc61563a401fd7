"""A filtered page stays an index walk at scale: 200,000 calls with a leg each (one bulk
transaction, a few seconds), then the database's own plan (SQLite's EXPLAIN QUERY PLAN,
PostgreSQL's EXPLAIN after ANALYZE) for the exact SQL the repository sends.

Wall time is printed (pytest -s), not asserted: machines differ. Measured while writing this:
about 1-6 ms per 50-row page at 200k and at 1M calls.
"""
import random
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, insert, text

from callctl.store.calls import CallLog
from callctl.store.db import make_engine, sessions, upgrade
from callctl.store.models import CallRecord
from tests.support.databases import dialect, fresh_database

CALLS = 200_000
T0 = datetime(2025, 1, 1)
EMPLOYEES = [f"Employee {i:02}" for i in range(40)]
OUTCOMES = ["answered"] * 6 + ["missed"] * 3 + ["fallback", "not_in_service"]


def rows(n: int):
    rnd = random.Random(5)
    for i in range(n):
        outcome = rnd.choice(OUTCOMES)
        who = rnd.choice(EMPLOYEES) if outcome == "answered" else None
        start = T0 + timedelta(seconds=i * 150 + rnd.randrange(150))  # ~1 year
        yield dict(id=f"{1_700_000_000 + i}.{i % 97}", direction="inbound",
                   number=f"+155501{rnd.randrange(20):02}",
                   caller=f"+1999{rnd.randrange(10**7):07}", started_at=start,
                   outcome=outcome, answered_by=who,
                   answered_department=who and f"Dept {int(who[-2:]) % 6}",
                   ring_seconds=rnd.random() * 30, talk_seconds=who and rnd.random() * 600)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp("scale") / "log.db") as url:
        upgrade(url)
        engine = make_engine(url)
        began = time.perf_counter()
        # Core inserts of many rows per statement: the ORM would take minutes.
        with engine.begin() as conn:
            conn.execute(insert(CallRecord), list(rows(CALLS)))
            conn.execute(text("INSERT INTO call_legs (call_id, channel_id, target, rang_from, "
                              "result) SELECT id, id || '-leg', 'PJSIP/x', started_at, "
                              "'no_answer' FROM calls"))
        if dialect() == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))  # the planner's statistics, as autovacuum would
        print(f"\ninserted {CALLS} calls in {time.perf_counter() - began:.2f} s")
        yield from _capturing(engine)


def _capturing(engine):
    sent = []

    @event.listens_for(engine, "before_cursor_execute")
    def capture(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    yield CallLog(sessions(engine)), engine, sent
    engine.dispose()


def plan_of(engine, statement, parameters) -> str:
    with engine.connect() as conn:
        cur = conn.connection.cursor()
        if dialect() == "sqlite":
            return " | ".join(r[-1] for r in cur.execute("EXPLAIN QUERY PLAN " + statement,
                                                         parameters))
        cur.execute("EXPLAIN " + statement, parameters)
        return " | ".join(r[0].strip() for r in cur.fetchall())


def full_scan_or_sort(plan: str) -> bool:
    return any(m in plan for m in ("SCAN calls", "TEMP B-TREE", "Seq Scan", "Sort"))


SINCE = datetime(2025, 6, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("filters, index", [
    ({}, "ix_calls_started_at_id"),
    ({"employee": "Employee 07"}, "ix_calls_answered_by_started_at"),
    ({"department": "Dept 3"}, "ix_calls_department_started_at"),
    ({"number": "+15550107"}, "ix_calls_number_started_at"),
    ({"outcome": "missed"}, "ix_calls_outcome_started_at_id"),
    ({"since": SINCE, "until": SINCE + timedelta(days=30)}, "ix_calls_started_at_id"),
    ({"employee": "Employee 07", "since": SINCE}, "ix_calls_answered_by_started_at"),
    ({"outcome": "answered", "until": SINCE}, "ix_calls_outcome_started_at_id"),
])
def test_given_200k_calls_when_a_filtered_page_is_read_then_an_index_seeks_to_the_cursor(
        big, filters, index):
    log, engine, sent = big
    first = log.list_calls(**filters)
    began = time.perf_counter()
    second = log.list_calls(before=first.next_cursor, **filters)
    took = time.perf_counter() - began
    plan = plan_of(engine, *sent[-1])
    print(f"\n{filters}: second page of {len(second.rows)} in {took * 1000:.2f} ms; {plan}")
    assert len(second.rows) == 50
    if dialect() == "sqlite":
        assert f"SEARCH calls USING INDEX {index} " in plan
        assert "(started_at,id)<(?,?)" in plan  # seeks to the cursor: no offset walk
    else:
        # For an outcome as common as "missed" the planner may walk the time index and
        # filter instead: still a seek to the cursor, no scan, no sort.
        assert any(f"Index Scan Backward using {i} on calls" in plan
                   for i in (index, "ix_calls_started_at_id"))
        assert "(ROW(started_at, (id)::text) < ROW(" in plan  # seeks to the cursor
    assert not full_scan_or_sort(plan)


def test_given_200k_calls_when_a_deep_page_is_read_then_it_is_as_cheap_as_the_first(big):
    log, engine, sent = big
    deep = log.list_calls(limit=1, before=None, until=datetime(2025, 1, 15,
                                                                 tzinfo=timezone.utc))
    began = time.perf_counter()
    page = log.list_calls(before=deep.next_cursor)
    print(f"\npage about 192,000 rows deep in {(time.perf_counter() - began) * 1000:.2f} ms")
    assert len(page.rows) == 50 and not full_scan_or_sort(plan_of(engine, *sent[-1]))


def test_given_200k_calls_when_a_call_is_read_with_legs_then_legs_come_by_index(big):
    log, engine, sent = big
    row = log.list_calls(limit=10).rows[-1]
    call = log.get(row.id)
    assert len(call.legs) == 1 and call.legs[0].target == "PJSIP/x"
    plan = plan_of(engine, *sent[-1])
    assert ("SEARCH call_legs USING INDEX ix_call_legs_call_id (call_id=?)" in plan
            if dialect() == "sqlite" else "Index Scan using ix_call_legs_call_id" in plan)
