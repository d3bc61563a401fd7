"""The call log catching up after the daemon was away (calls/outage.py): what the dialplan
noted in AstDB read back, records completed, fallback calls logged. A real database and
call-log writer; Asterisk's side is a small double of what ARI and AstDB answer."""
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from callctl.calls.outage import CALLS, ENDED, Outage, parse_fallback_call
from callctl.calls.recorder import CallRecorder
from callctl.domain.catalog import Catalog
from callctl.domain.directory import Directory, Employee
from callctl.store.calls import CallLog
from callctl.store.db import make_engine, sessions, upgrade

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
E0 = int(T0.timestamp())
DIRECTORY = Directory(employees=(Employee("Alice Smith", "101", ("alice",), ("+15550177",)),))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value and value.tzinfo is None else value


def entry(start=0, end=30, answered="", talk_ms="", number="%2B15550100",
          caller="%2B15557654321", name="Jo%20Ann"):
    return f"number={number} caller={caller} name={name} start={E0 + start} " \
           f"end={E0 + end} answered={answered} talk_ms={talk_ms}"


def parse(value):
    return parse_fallback_call("1.7", value, DIRECTORY, "carrier")


def test_given_an_answered_fallback_entry_when_read_then_who_when_and_how_long():
    call = parse(entry(answered="alice", talk_ms="20500"))
    assert (call.number, call.caller, call.caller_name) == ("+15550100", "+15557654321", "Jo Ann")
    assert (call.started_at, call.ended_at) == (T0, at(30))
    assert (call.answered_leg, call.answered_by, call.answered_at) == \
        ("PJSIP/alice", "Alice Smith", at(9.5))
    assert parse(entry(answered="%2B15550177%40carrier", talk_ms="1000")).answered_by == \
        "Alice Smith"  # her mobile, through the trunk
    stranger = parse(entry(answered="carrier%2Fsip%3A300%40pbx.example", talk_ms="1000"))
    assert (stranger.answered_leg, stranger.answered_by) == \
        ("PJSIP/carrier/sip:300@pbx.example", None)


def test_given_unanswered_or_broken_entries_when_read_then_missed_or_none():
    missed = parse(entry(name=""))
    assert (missed.answered_at, missed.answered_by, missed.caller_name) == (None, None, None)
    assert parse("number=%2B15550100 start=abc end=1") is None
    assert parse("caller=x") is None


@pytest.fixture
def log(tmp_path):
    url = f"sqlite:///{tmp_path / 'log.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield CallLog(sessions(engine))
    engine.dispose()


def test_given_a_call_open_when_asterisk_tells_its_end_then_completed_with_that_time(log):
    log.started("c1", "inbound", "+15550100", "+1555765", T0)
    log.answered("c1", "Alice Smith", "PJSIP/alice", at(5))
    log.ended_while_away("c1", at(65), None, "ended while callctl was away")
    rec = log.get("c1")
    assert (rec.outcome, utc(rec.ended_at), rec.ended_after, rec.talk_seconds) == \
        ("answered", at(65), None, 60)
    log.ended_while_away("c1", at(90), None, "again")  # ended already, earlier: kept
    assert utc(log.get("c1").ended_at) == at(65)


def test_given_a_call_open_when_only_bounds_are_known_then_ended_between_them(log):
    log.started("c2", "inbound", "+15550100", "+1555765", T0)
    log.leg_started("c2", "leg-1", "PJSIP/alice", "Alice Smith", at(1))
    log.ended_while_away("c2", at(600), at(1), "between …")
    rec = log.get("c2")
    assert (rec.outcome, utc(rec.ended_after), utc(rec.ended_at), rec.ring_seconds) == \
        ("missed", at(1), at(600), None)
    assert [(leg.result, utc(leg.rang_to)) for leg in rec.legs] == [("cancelled", at(1))]


def test_given_a_record_ended_late_by_the_daemon_when_asterisk_knew_better_then_corrected(log):
    log.started("c3", "inbound", "+15550100", "+1555765", T0)
    log.answered("c3", "Alice Smith", "PJSIP/alice", at(5))
    log.ended("c3", "answered", at(120))  # when the daemon noticed, back from a cut
    log.ended_while_away("c3", at(45), None, "ignored: the record was complete")
    rec = log.get("c3")
    assert (utc(rec.ended_at), rec.talk_seconds, rec.detail) == (at(45), 40, None)


def test_given_fallback_calls_when_written_then_new_records_and_handed_over_ones_completed(log):
    log.fallback_call("f1", "+15550100", "+1555765", "Jo", T0, at(40), "Alice Smith",
                      "PJSIP/alice", at(10), "callctl was away: the fallback rang Alice Smith")
    rec = log.get("f1")
    assert (rec.direction, rec.outcome, rec.answered_by, rec.ring_seconds, rec.talk_seconds,
            rec.caller_name) == ("inbound", "answered", "Alice Smith", 10, 30, "Jo")
    log.started("f2", "inbound", "+15550100", "+1555765", T0)
    log.ended("f2", "fallback", at(2), "daemon stopped before an answer")
    log.fallback_call("f2", "+15550100", "+1555765", None, at(2), at(20), None, None, None,
                      "nobody answered")
    rec = log.get("f2")
    assert (utc(rec.started_at), rec.outcome, rec.ring_seconds, rec.detail) == \
        (T0, "missed", 20, "daemon stopped before an answer; nobody answered")
    log.fallback_call("f1", "+15550100", "+1555765", None, T0, at(99), None, None, None, "x")
    assert log.get("f1").outcome == "answered"  # a complete record is left as it is


class Asterisk:
    """What ARI lists and AstDB holds, and what the catch-up does to them."""

    def __init__(self, channels, ended, calls):
        self.listed, self.hung_up = channels, []
        self.db = {ENDED: dict(ended), CALLS: dict(calls)}

    async def channels(self):
        return self.listed

    async def quietly(self, method, path):
        self.hung_up.append((method, path))

    def astdb(self):
        return self

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return None

    async def tree(self, family):
        return dict(self.db[family])

    async def delete(self, family, key):
        self.db[family].pop(key, None)

    async def delete_tree(self, family):
        self.db[family].clear()


async def test_given_an_outage_when_caught_up_then_every_call_is_complete_and_astdb_cleared(
        log):
    log.started("gone", "inbound", "+15550100", "+1", T0)
    log.answered("gone", "Alice Smith", "PJSIP/alice", at(5))
    log.started("untold", "inbound", "+15550100", "+2", T0)
    log.started("alone", "inbound", "+15550100", "+3", T0)
    log.answered("alone", "Alice Smith", "PJSIP/alice", at(4))
    log.started("resumed", "inbound", "+15550100", "+4", T0)
    log.started("dialling", "inbound", "+15550100", "+5", T0)
    in_app = {"app_name": "Stasis", "app_data": "callctl,inbound,+15550100"}
    asterisk = Asterisk(
        channels=[{"id": "alone", "dialplan": in_app}, {"id": "resumed", "dialplan": in_app},
                  {"id": "dialling", "dialplan": {"app_name": "Dial", "app_data": "x"}}],
        ended={"gone": str(E0 + 65), "earlier": str(E0)},
        calls={"fb": entry(answered="alice", talk_ms="5000"), "bad": "garbage"})
    recorder = CallRecorder(log)
    services = SimpleNamespace(ari=asterisk, call_log=log, recorder=recorder, trunk="carrier",
                               catalog=lambda: Catalog(DIRECTORY))
    router = SimpleNamespace(s=services, app="callctl",
                             sessions=[SimpleNamespace(caller="resumed", task=None)])
    try:
        await Outage(router, asterisk.astdb).catch_up()
    finally:
        recorder.close()
    gone, untold, alone = log.get("gone"), log.get("untold"), log.get("alone")
    assert (gone.outcome, utc(gone.ended_at), gone.talk_seconds) == ("answered", at(65), 60)
    assert (untold.outcome, utc(untold.ended_after), untold.ring_seconds) == ("missed", T0, None)
    assert "Asterisk kept no end time" in untold.detail
    assert (alone.outcome, utc(alone.ended_after), alone.talk_seconds) == \
        ("answered", at(4), None)
    assert "the person hung up between 09:00:04 UTC and" in alone.detail
    assert asterisk.hung_up == [("DELETE", "/channels/alone")]
    assert log.get("resumed").outcome == log.get("dialling").outcome == "in_progress"
    assert (log.get("fb").answered_by, log.get("fb").talk_seconds) == ("Alice Smith", 5)
    assert asterisk.db == {ENDED: {}, CALLS: {}}
