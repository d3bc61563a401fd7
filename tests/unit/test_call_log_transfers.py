"""Transfers in the call log on a real database migrated by the real Alembic chain: each
transfer's row, the responsible employee moving to whoever ends up with the call, and every
party's talk time in order."""
from datetime import datetime, timedelta, timezone

import pytest

from callctl.store.calls import CallLog
from callctl.store.db import make_engine, sessions, upgrade
from callctl.store.transfers import (of_call, parties, transfer_answered, transfer_ended,
                                     transfer_started)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def log(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    yield CallLog(sessions(engine))
    engine.dispose()


def answered_call(log):
    log.started("c1", "inbound", "+15550100", "+15557654321", T0, caller_name="Ann")
    log.leg_started("c1", "leg-1", "PJSIP/alice", "Alice Smith", at(1))
    log.leg_ended("leg-1", "answered", at(5))
    log.answered("c1", "Alice Smith", "PJSIP/alice", at(5))


def test_given_a_cancelled_then_a_completed_transfer_then_bob_has_it_and_talk_times_add_up(
        log):
    answered_call(log)
    transfer_started(log, "c1", 1, "attended", "keypad", "Alice Smith", "102",
                     "Bob Jones (102)", at(20))
    transfer_answered(log, "c1", 1, "Bob Jones", "PJSIP/bob", at(25))
    transfer_ended(log, "c1", 1, "cancelled", at(30))
    transfer_started(log, "c1", 2, "blind", "api", "Alice Smith", "102", "Bob Jones (102)",
                     at(40))
    transfer_ended(log, "c1", 2, "completed", at(45), "Bob Jones", "PJSIP/bob",
                   employee="Bob Jones")
    transfer_ended(log, "c1", 2, "cancelled", at(46))  # the first end is final
    log.ended("c1", "answered", at(105))

    rec = log.get("c1")
    assert rec.answered_by == "Bob Jones"  # reports count the call for him
    assert [(t.seq, t.mode, t.via, t.result, t.recipient) for t in of_call(log, "c1")] == [
        (1, "attended", "keypad", "cancelled", "Bob Jones"),
        (2, "blind", "api", "completed", "Bob Jones")]
    assert [(p["who"], p["how"], p["talk_seconds"])
            for p in parties(rec, of_call(log, "c1"))] == [
        ("Ann", "caller", 100.0),
        ("Alice Smith", "answered", 40.0),
        ("Bob Jones", "transfer 2 (blind, api)", 60.0)]


def test_given_a_refused_transfer_then_logged_and_nobody_changes(log):
    answered_call(log)
    transfer_started(log, "c1", 1, "blind", "keypad", "Alice Smith", "104", None, at(10))
    transfer_ended(log, "c1", 1, "refused", at(10), detail="Dan Brown (104) is offline")
    log.ended("c1", "answered", at(20))
    rec = log.get("c1")
    assert rec.answered_by == "Alice Smith"
    (t,) = of_call(log, "c1")
    assert (t.result, t.detail) == ("refused", "Dan Brown (104) is offline")
    assert [p["who"] for p in parties(rec, [t])] == ["Ann", "Alice Smith"]


def test_given_a_transfer_of_an_unknown_call_then_nothing_is_written(log):
    transfer_started(log, "nope", 1, "blind", "api", "Alice Smith", "102", None, T0)
    assert of_call(log, "nope") == []
