"""The call log repository on a real database (SQLite or PostgreSQL) migrated by the real
Alembic chain: what the daemon writes (calls, legs, answers) and what people edit later
(tags, comment)."""
from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import inspect, text

from callctl.directory import DirectoryService
from callctl.store.calls import CallLog, UnknownCall
from callctl.store.db import alembic_config, make_engine, sessions, upgrade

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def utc(stored: datetime) -> datetime:
    """A time as read back: SQLite gives it naive (in UTC), PostgreSQL with a zone."""
    return stored.replace(tzinfo=timezone.utc) if stored.tzinfo is None else stored


@pytest.fixture
def db(database_url):
    url = database_url
    upgrade(url)
    engine = make_engine(url)
    yield sessions(engine)
    engine.dispose()


@pytest.fixture
def log(db):
    return CallLog(db)


def test_given_a_sequential_walk_when_logged_then_get_returns_every_leg_in_order(log):
    log.started("c1", "inbound", "+15550100", "+15557654321", T0)
    log.scheme_chosen("c1", "Sales line", "Weekdays")
    log.leg_skipped("c1", "PJSIP/ann", "Ann Lee", "offline", at(0))
    log.leg_started("c1", "leg-1", "PJSIP/bob", "Bob Roe", at(0.1))
    log.leg_ended("leg-1", "no_answer", at(15))
    log.leg_started("c1", "leg-2", "PJSIP/cat", "Cat Poe", at(15.1))
    log.leg_ended("leg-2", "answered", at(19))
    log.answered("c1", "Cat Poe", "PJSIP/cat", at(19), department="Support")
    log.ended("c1", "answered", at(79))

    rec = log.get("c1")
    assert (rec.scheme, rec.branch, rec.answered_by, rec.answered_department) == \
        ("Sales line", "Weekdays", "Cat Poe", "Support")
    assert (rec.ring_seconds, rec.talk_seconds, rec.outcome) == (19.0, 60.0, "answered")
    assert [(leg.target, leg.employee, leg.result, leg.reason) for leg in rec.legs] == [
        ("PJSIP/ann", "Ann Lee", "skipped", "offline"),
        ("PJSIP/bob", "Bob Roe", "no_answer", None),
        ("PJSIP/cat", "Cat Poe", "answered", None)]
    bob = rec.legs[1]
    assert (bob.channel_id, utc(bob.rang_from), utc(bob.rang_to)) == ("leg-1", at(0.1), at(15))


def test_given_a_leg_still_ringing_when_read_then_it_has_no_result_yet(log):
    log.started("c1", "inbound", "+15550100", "+1555", T0)
    log.leg_started("c1", "leg-1", "PJSIP/bob", None, at(1))
    (leg,) = log.get("c1").legs
    assert (leg.result, leg.rang_to, leg.employee) == (None, None, None)


def test_given_a_resumed_call_when_leg_started_again_then_one_leg_is_kept(log):
    log.started("c1", "inbound", "+15550100", "+1555", T0)
    log.leg_started("c1", "leg-1", "PJSIP/bob", "Bob Roe", at(1))
    log.leg_started("c1", "leg-1", "PJSIP/bob", "Bob Roe", at(5))
    assert len(log.get("c1").legs) == 1 and utc(log.get("c1").legs[0].rang_from) == at(1)


def test_given_an_answered_leg_when_cleanup_cancels_it_then_answered_stays(log):
    log.started("c1", "inbound", "+15550100", "+1555", T0)
    log.leg_started("c1", "leg-1", "PJSIP/bob", "Bob Roe", at(1))
    log.leg_ended("leg-1", "answered", at(4))
    log.leg_ended("leg-1", "cancelled", at(60))
    (leg,) = log.get("c1").legs
    assert (leg.result, utc(leg.rang_to)) == ("answered", at(4))


def test_given_an_unknown_leg_result_when_ended_then_refused_with_the_allowed_ones(log):
    with pytest.raises(ValueError, match="leg result: unknown 'rang' \\(one of: answered, "
                                         "no_answer, busy, failed, cancelled, skipped\\)"):
        log.leg_ended("leg-1", "rang", at(1))


def test_given_no_record_when_the_daemon_writes_then_nothing_happens_and_nothing_raises(log):
    log.scheme_chosen("gone", "S", "B")
    log.leg_started("gone", "leg-1", "PJSIP/bob", None, T0)
    log.leg_skipped("gone", "PJSIP/bob", None, "offline", T0)
    log.leg_ended("leg-1", "busy", T0)
    log.answered("gone", "Bob Roe", "PJSIP/bob", T0)
    log.ended("gone", "missed", T0)
    assert log.get("gone") is None and log.recent() == []


def test_given_an_employee_in_a_department_when_answered_then_department_kept_after_a_move(
        db, log):
    directory = DirectoryService(db)
    directory.add_department("Sales", "200")
    directory.add_department("Support", "300")
    directory.add_employee("Ann Lee", "ann@example.com", "101", department="Sales")
    log.started("c1", "inbound", "+15550100", "+1555", T0)
    log.answered("c1", "Ann Lee", "PJSIP/ann", at(3))  # the daemon's call: no department

    directory.edit_employee("Ann Lee", department="Support")
    log.started("c2", "inbound", "+15550100", "+1555", at(100))
    log.answered("c2", "Ann Lee", "PJSIP/ann", at(103))

    assert log.get("c1").answered_department == "Sales"
    assert log.get("c2").answered_department == "Support"


def test_given_a_non_utc_time_when_stored_then_it_is_kept_as_utc(log):
    berlin = timezone(timedelta(hours=1))
    log.started("c1", "inbound", "+15550100", "+1555", datetime(2026, 11, 23, 10, 0,
                                                                 tzinfo=berlin))
    stored = log.get("c1").started_at
    assert utc(stored) == T0 and stored.utcoffset() in (None, timedelta(0))
    assert [r.id for r in log.list_calls(since=T0).rows] == ["c1"]


def test_given_a_call_when_tagged_in_steps_then_each_edit_keeps_the_other_fields(log):
    log.started("c1", "inbound", "+15550100", "+1555", T0)
    log.tag("c1", category="lead", value="hot")
    rec = log.tag("c1", comment="wants a quote\nby Friday")
    assert (rec.category, rec.value, rec.comment) == ("lead", "hot", "wants a quote\nby Friday")
    rec = log.tag("c1", value="")  # "" clears, None leaves alone
    assert (rec.category, rec.value, rec.comment) == ("lead", None, "wants a quote\nby Friday")


def test_given_an_unknown_call_when_tagged_then_refused_naming_the_id(log):
    with pytest.raises(UnknownCall, match="no call with id 'nope'"):
        log.tag("nope", category="lead")


def test_given_an_overlong_tag_when_tagged_then_refused_and_unchanged(log):
    log.started("c1", "inbound", "+15550100", "+1555", T0)
    with pytest.raises(ValueError, match="category: at most 64 characters, got 65"):
        log.tag("c1", category="x" * 65, comment="kept?")
    assert log.get("c1").comment is None


def test_given_calls_and_legs_when_reported_then_per_employee_answered_missed_and_talk(log):
    # c1: Bob does not answer, Cat does (60 s). c2: Cat busy, Bob answers (30 s).
    # c3: Bob skipped (offline: never rang, not missed). c4: outside the period.
    log.started("c1", "inbound", "+15550100", "+1555", T0)
    log.leg_started("c1", "l1", "PJSIP/bob", "Bob Roe", at(0))
    log.leg_ended("l1", "no_answer", at(15))
    log.leg_started("c1", "l2", "PJSIP/cat", "Cat Poe", at(15))
    log.leg_ended("l2", "answered", at(20))
    log.answered("c1", "Cat Poe", "PJSIP/cat", at(20))
    log.ended("c1", "answered", at(80))
    log.started("c2", "inbound", "+15550100", "+1555", at(100))
    log.leg_started("c2", "l3", "PJSIP/cat", "Cat Poe", at(100))
    log.leg_ended("l3", "busy", at(101))
    log.leg_started("c2", "l4", "PJSIP/bob", "Bob Roe", at(101))
    log.leg_ended("l4", "answered", at(105))
    log.answered("c2", "Bob Roe", "PJSIP/bob", at(105))
    log.ended("c2", "answered", at(135))
    log.started("c3", "inbound", "+15550100", "+1555", at(200))
    log.leg_skipped("c3", "PJSIP/bob", "Bob Roe", "offline", at(200))
    log.ended("c3", "missed", at(200))
    log.started("c4", "inbound", "+15550100", "+1555", at(-86400))
    log.leg_started("c4", "l5", "PJSIP/bob", "Bob Roe", at(-86400))
    log.leg_ended("l5", "no_answer", at(-86390))

    stats = log.report(since=T0, until=at(3600))
    assert [(s.employee, s.answered, s.missed, s.talk_seconds) for s in stats] == [
        ("Bob Roe", 1, 1, 30.0), ("Cat Poe", 1, 1, 60.0)]
    assert [(s.employee, s.missed) for s in log.report()] == [("Bob Roe", 2), ("Cat Poe", 1)]


def test_given_a_database_at_0004_when_upgraded_then_old_calls_survive_with_empty_new_fields(
        database_url):
    url = database_url
    upgrade(url, "0004")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO calls (id, direction, number, caller, started_at, outcome)"
                          " VALUES ('old', 'inbound', '+1', '+2', '2026-01-01 00:00:00', "
                          "'missed')"))
    upgrade(url)
    rec = CallLog(sessions(engine)).get("old")
    assert (rec.outcome, rec.answered_department, rec.comment, rec.legs) == \
        ("missed", None, None, [])

    command.downgrade(alembic_config(url), "0004")
    assert "call_legs" not in inspect(engine).get_table_names()
    assert "comment" not in {c["name"] for c in inspect(engine).get_columns("calls")}
    engine.dispose()
