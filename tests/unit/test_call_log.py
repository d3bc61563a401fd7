from datetime import datetime, timedelta, timezone

from callctl.store.calls import CallLog
from callctl.store.db import make_engine, sessions, upgrade


def test_given_a_call_when_answered_and_ended_then_ring_and_talk_seconds_are_recorded(database_url):
    url = database_url
    upgrade(url)
    log = CallLog(sessions(make_engine(url)))
    t0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    log.started("1.5", "inbound", "+15550100", "+15557654321", t0)
    log.started("1.5", "inbound", "+15550100", "+15557654321", t0 + timedelta(seconds=9))
    log.answered("1.5", "Alice Smith", "PJSIP/alice", t0 + timedelta(seconds=4))
    log.ended("1.5", "answered", t0 + timedelta(seconds=34))
    rec = log.get("1.5")
    assert (rec.outcome, rec.answered_by, rec.ring_seconds, rec.talk_seconds) == \
        ("answered", "Alice Smith", 4.0, 30.0)


def test_given_unanswered_call_when_ended_then_missed_with_ring_time(database_url):
    url = database_url
    upgrade(url)
    log = CallLog(sessions(make_engine(url)))
    t0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    log.started("2.1", "inbound", "+15550100", "anonymous", t0)
    log.ended("2.1", "missed", t0 + timedelta(seconds=20), "nobody answered")
    rec = log.get("2.1")
    assert (rec.outcome, rec.ring_seconds, rec.talk_seconds, rec.detail) == \
        ("missed", 20.0, None, "nobody answered")
