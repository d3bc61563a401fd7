"""A filtered page stays an index walk at scale: 200,000 calls with a leg each (one bulk
transaction, a few seconds), then SQLite's EXPLAIN QUERY PLAN for the exact SQL the
repository sends.

Wall time is printed (pytest -s), not asserted: machines differ. Measured while writing this:
about 1-6 ms per 50-row page at 200k and at 1M calls.
"""
import random
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from callctl.store.calls import CallLog
from callctl.store.db import make_engine, sessions, upgrade

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
        yield (f"{1_700_000_000 + i}.{i % 97}", "inbound", f"+155501{rnd.randrange(20):02}",
               f"+1999{rnd.randrange(10**7):07}", start.isoformat(" ", "microseconds"),
               outcome, who, who and f"Dept {int(who[-2:]) % 6}", rnd.random() * 30,
               who and rnd.random() * 600)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('scale') / 'log.db'}"
    upgrade(url)
    engine = make_engine(url)
    began = time.perf_counter()
    raw = engine.raw_connection()  # the ORM would take minutes; executemany takes seconds
    cur = raw.cursor()
    cur.executemany("INSERT INTO calls (id, direction, number, caller, started_at, outcome, "
                    "answered_by, answered_department, ring_seconds, talk_seconds) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows(CALLS))
    cur.execute("INSERT INTO call_legs (call_id, channel_id, target, rang_from, result) "
                "SELECT id, id || '-leg', 'PJSIP/x', started_at, 'no_answer' FROM calls")
    raw.commit()
    raw.close()
    print(f"\ninserted {CALLS} calls in {time.perf_counter() - began:.2f} s")
    sent = []

    @event.listens_for(engine, "before_cursor_execute")
    def capture(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    yield CallLog(sessions(engine)), engine, sent
    engine.dispose()


def plan_of(engine, statement, parameters) -> str:
    with engine.connect() as conn:
        cur = conn.connection.cursor()
        return " | ".join(r[-1] for r in cur.execute("EXPLAIN QUERY PLAN " + statement,
                                                     parameters))


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
    assert f"SEARCH calls USING INDEX {index} " in plan
    assert "(started_at,id)<(?,?)" in plan  # seeks to the cursor: no offset walk
    assert "SCAN calls" not in plan and "TEMP B-TREE" not in plan


def test_given_200k_calls_when_a_deep_page_is_read_then_it_is_as_cheap_as_the_first(big):
    log, engine, sent = big
    deep = log.list_calls(limit=1, before=None, until=datetime(2025, 1, 15,
                                                                 tzinfo=timezone.utc))
    began = time.perf_counter()
    page = log.list_calls(before=deep.next_cursor)
    print(f"\npage about 192,000 rows deep in {(time.perf_counter() - began) * 1000:.2f} ms")
    assert len(page.rows) == 50 and "SCAN calls" not in plan_of(engine, *sent[-1])


def test_given_200k_calls_when_a_call_is_read_with_legs_then_legs_come_by_index(big):
    log, engine, sent = big
    row = log.list_calls(limit=10).rows[-1]
    call = log.get(row.id)
    assert len(call.legs) == 1 and call.legs[0].target == "PJSIP/x"
    plan = plan_of(engine, *sent[-1])
    assert "SEARCH call_legs USING INDEX ix_call_legs_call_id (call_id=?)" in plan
