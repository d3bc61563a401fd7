import asyncio
from datetime import datetime, timezone

import pytest

from callctl.calls.recorder import CallRecorder
from callctl.store.calls import CallLog
from callctl.store.db import make_engine, sessions, upgrade

AT = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def call_log(database_url):
    url = database_url
    upgrade(url)
    return CallLog(sessions(make_engine(url)))


async def test_given_many_writes_at_once_when_recorded_then_all_land_in_order(call_log):
    recorder = CallRecorder(call_log)
    futures = []
    for n in range(50):
        futures += [recorder.submit(CallLog.started, f"c{n}", "inbound", "+1555", "+1666", AT),
                    recorder.submit(CallLog.leg_started, f"c{n}", f"l{n}", "PJSIP/a", "A", AT),
                    recorder.submit(CallLog.leg_ended, f"l{n}", "answered", AT),
                    recorder.submit(CallLog.ended, f"c{n}", "answered", AT)]
    await asyncio.gather(*futures)
    recorder.close()
    record = call_log.get("c49")
    assert record.outcome == "answered" and [leg.result for leg in record.legs] == ["answered"]


async def test_given_one_bad_write_in_a_batch_when_recorded_then_only_it_is_lost(call_log):
    recorder = CallRecorder(call_log)
    good = recorder.submit(CallLog.started, "c1", "inbound", "+1555", "+1666", AT)
    bad = recorder.submit(CallLog.leg_ended, "l1", "exploded", AT)  # not a leg result
    after = recorder.submit(CallLog.ended, "c1", "missed", AT)
    await asyncio.gather(good, after)
    with pytest.raises(ValueError):
        await bad
    recorder.close()
    assert call_log.get("c1").outcome == "missed"


def test_given_object_and_statement_writes_in_one_batch_when_committed_then_as_if_one_by_one(
        call_log):
    # The recorder commits what piled up as one batch. outgoing() and ended_while_away() load
    # the record as an object, ended() updates it by a plain statement: the second object
    # write must still see what ended() wrote.
    with call_log.batch():
        call_log.started("c1", "internal", "+1555", "alice", AT)
        call_log.outgoing("c1", "Alice", "+1777", "+1555")
        call_log.ended("c1", "missed", AT.replace(minute=5), "nobody answered")
        call_log.ended_while_away("c1", AT.replace(minute=3), None,
                                  "ended while the daemon was away")
    record = call_log.get("c1")
    assert (record.direction, record.outcome, record.detail) == \
        ("outgoing", "missed", "nobody answered")
    assert record.ring_seconds == 180  # the earlier end, from ended_while_away


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
async def test_given_writes_when_recorded_then_the_queue_gauge_empties_and_lag_is_observed(
        call_log):
    from callctl.metrics import REGISTRY
    lag_before = REGISTRY.get_sample_value("callctl_call_log_write_lag_seconds_count")
    waiting = REGISTRY.get_sample_value("callctl_call_log_queue")
    recorder = CallRecorder(call_log)
    await asyncio.gather(recorder.submit(CallLog.started, "m1", "inbound", "+1555", "+1666", AT),
                         recorder.submit(CallLog.ended, "m1", "missed", AT))
    recorder.close()  # the stop, alone in its batch, is no write: nothing to count
    assert REGISTRY.get_sample_value("callctl_call_log_queue") == waiting
    assert REGISTRY.get_sample_value("callctl_call_log_write_lag_seconds_count") > lag_before
