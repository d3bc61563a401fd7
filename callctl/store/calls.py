"""The call log's repository: the only code that reads and writes call records and legs.

The daemon's writes (started, answered, leg_*, ended) are forgiving: a record that is missing
(e.g. the write at start failed) is skipped rather than crashing a live call. The operator's
writes (tag) and reads are strict and say what is wrong.
"""
from __future__ import annotations

import base64
import threading
import binascii
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (CheckConstraint, DateTime, ForeignKey, Index, String, bindparam, func,
                        insert, literal, select, tuple_, update)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload, sessionmaker

from .directory_models import Department, Employee
from .models import Base, CallRecord
from .times import as_utc, seconds_between

# ivr: the caller ended the call in a menu by choice (nobody needs to call back)
# barred: an outgoing call the SIP account may not make; failed: one that could not be placed
OUTCOMES = ("answered", "missed", "voicemail", "ivr", "fallback", "not_in_service",
            "barred", "failed", "in_progress")
LEG_RESULTS = ("answered", "no_answer", "busy", "failed", "cancelled", "skipped")
UNANSWERED = ("no_answer", "busy", "failed", "cancelled")  # it rang, nobody picked up there
TAG_MAX = 64
PAGE_MAX = 500


class CallLeg(Base):
    """One target tried for a call: a channel that rang, or a direction skipped at once."""
    __tablename__ = "call_legs"

    id: Mapped[int] = mapped_column(primary_key=True)  # insertion order = order tried
    call_id: Mapped[str] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE", name="fk_call_legs_call"))
    channel_id: Mapped[str | None] = mapped_column(String(128))  # none for a skipped leg
    target: Mapped[str] = mapped_column(String(255))  # dial string, e.g. PJSIP/alice
    employee: Mapped[str | None] = mapped_column(String(128))
    rang_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rang_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result: Mapped[str | None] = mapped_column(String(16))  # none while it rings
    reason: Mapped[str | None] = mapped_column(String(255))  # why it was skipped

    __table_args__ = (
        Index("ix_call_legs_call_id", "call_id", "id"),
        Index("uq_call_legs_channel_id", "channel_id", unique=True),
        Index("ix_call_legs_employee_rang_from", "employee", "rang_from"),
        CheckConstraint("result IS NULL OR result IN ('answered', 'no_answer', 'busy', "
                        "'failed', 'cancelled', 'skipped')", name="ck_call_legs_result"),
    )


# The daemon's writes: plain statements built once, run with their values (a call makes
# half a dozen; loading each row as an object first, or building each statement anew, cost
# more than the write itself).
CALLS, LEGS = CallRecord.__table__, CallLeg.__table__
_CALL_EXISTS = select(literal(1)).where(CALLS.c.id == bindparam("call"))
_CALL_TIMES = (select(CALLS.c.started_at, CALLS.c.answered_at)
               .where(CALLS.c.id == bindparam("call")))
_UPDATE_CALL = update(CALLS).where(CALLS.c.id == bindparam("call"))
_DEPARTMENT_OF = (select(Department.__table__.c.name)
                  .join_from(Employee.__table__, Department.__table__,
                             Employee.__table__.c.department_id == Department.__table__.c.id)
                  .where(Employee.__table__.c.full_name == bindparam("employee")))
_END_LEG = update(LEGS).where(LEGS.c.channel_id == bindparam("leg"), LEGS.c.result.is_(None))

# Declared here rather than in models.py so that module needs no import of this one (a
# declarative class accepts relationships assigned after it is built).
CallRecord.legs = relationship(CallLeg, order_by=CallLeg.id, passive_deletes=True)


class UnknownCall(LookupError):
    pass


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Page:
    rows: list[CallRecord]  # newest first
    next_cursor: str | None  # pass as `before` for the next page; None on the last page


@dataclass(frozen=True)
class EmployeeStats:
    employee: str
    answered: int
    missed: int  # legs that rang this employee and were not answered
    talk_seconds: float
    outgoing: int = 0  # outside calls the employee made (answered or not)
    outgoing_talk_seconds: float = 0.0


class CallLog:
    def __init__(self, sessions: sessionmaker):
        self._sessions = sessions
        self._local = threading.local()

    @property
    def sessions(self) -> sessionmaker:
        """For the call log's companions (queue_log.py) that read beside it."""
        return self._sessions

    @contextmanager
    def batch(self):
        """The daemon's writes made inside run in ONE transaction (see calls/recorder.py):
        far less work per call than a commit each. Per thread."""
        with self._sessions.begin() as s:
            self._local.session = s
            try:
                yield
            finally:
                self._local.session = None

    @contextmanager
    def _tx(self):
        batch = getattr(self._local, "session", None)
        if batch is None:
            with self._sessions.begin() as s:
                yield s
            return
        yield batch
        # A batch mixes object writes with plain statements, which bypass the session: each
        # write lands before the next one runs, and no object outlives it to be read stale.
        batch.flush()
        batch.expunge_all()

    # -- written by the daemon ------------------------------------------------------------------

    def started(self, call_id: str, direction: str, number: str, caller: str,
                at: datetime, caller_name: str | None = None) -> None:
        """Insert the record, or keep the existing one when a restarted daemon resumes it."""
        with self._tx() as s:
            db = s.connection()
            db.execute(_INSERT_NEW[db.dialect.name, CALLS.name], {
                "id": call_id, "direction": direction, "number": number, "caller": caller,
                "caller_name": caller_name, "started_at": as_utc(at), "outcome": "in_progress"})

    def scheme_chosen(self, call_id: str, scheme: str | None, branch: str | None) -> None:
        with self._tx() as s:
            db = s.connection()
            db.execute(_UPDATE_CALL, {"call": call_id, "scheme": scheme, "branch": branch})

    def answered(self, call_id: str, employee: str | None, leg: str, at: datetime,
                 department: str | None = None) -> None:
        """`department` defaults to the employee's department right now: copied, not joined,
        so the record keeps it after the employee moves."""
        with self._tx() as s:
            db = s.connection()
            started = db.scalar(_CALL_TIMES, {"call": call_id})
            if started is None:
                return
            if department is None:
                department = _department_of(s, employee)
            db.execute(_UPDATE_CALL, {
                "call": call_id, "answered_by": employee, "answered_department": department,
                "answered_leg": leg, "answered_at": as_utc(at),
                "ring_seconds": seconds_between(started, at)})

    def outgoing(self, call_id: str, employee: str | None, caller_id: str,
                 number: str) -> None:
        """A staff phone's call went out to `number` (E.164) showing `caller_id`."""
        with self._tx() as s:
            if (rec := s.get(CallRecord, call_id)) is not None:
                rec.direction, rec.employee, rec.caller_id = "outgoing", employee, caller_id
                rec.number = number

    def voicemail_started(self, call_id: str, box: str) -> None:
        with self._tx() as s:
            if (rec := s.get(CallRecord, call_id)) is not None:
                rec.voicemail_box = box

    def ended(self, call_id: str, outcome: str, at: datetime, detail: str | None = None,
              route: str | None = None) -> None:
        with self._tx() as s:
            db = s.connection()
            row = db.execute(_CALL_TIMES, {"call": call_id}).first()
            if row is None:
                return
            started, answered = row
            values = {"call": call_id, "ended_at": as_utc(at), "outcome": outcome,
                      "detail": detail}
            if route is not None:
                values["route"] = route
            if answered is not None:
                values["talk_seconds"] = seconds_between(answered, at)
            else:
                values["ring_seconds"] = seconds_between(started, at)
            db.execute(_UPDATE_CALL, values)

    def leg_started(self, call_id: str, leg_id: str, target: str, employee: str | None,
                    at: datetime) -> None:
        """A leg's channel starts ringing. Repeating it (a resumed call) changes nothing."""
        with self._tx() as s:
            db = s.connection()
            if db.execute(_CALL_EXISTS, {"call": call_id}).first() is None:
                return
            db.execute(_INSERT_NEW[db.dialect.name, LEGS.name], {
                "call_id": call_id, "channel_id": leg_id, "target": target,
                "employee": employee, "rang_from": as_utc(at)})

    def leg_ended(self, leg_id: str, result: str, at: datetime, reason: str | None = None) -> None:
        """The leg stopped ringing. The first result is final: a later "cancelled" from the
        clean-up must not overwrite "answered"."""
        _check(result, LEG_RESULTS, "leg result")
        with self._tx() as s:
            db = s.connection()
            db.execute(_END_LEG, {"leg": leg_id, "result": result, "rang_to": as_utc(at),
                                  "reason": reason})

    def leg_skipped(self, call_id: str, target: str, employee: str | None, reason: str,
                    at: datetime) -> None:
        """A direction that could not ring (offline, unregistered, ...): logged, never rung."""
        with self._tx() as s:
            db = s.connection()
            if db.execute(_CALL_EXISTS, {"call": call_id}).first() is not None:
                db.execute(insert(LEGS), {"call_id": call_id, "target": target,
                                          "employee": employee, "result": "skipped",
                                          "reason": reason, "rang_from": as_utc(at),
                                          "rang_to": as_utc(at)})

    # -- written after the daemon was away (calls/outage.py) --------------------------------

    def open_calls(self) -> list[tuple[str, datetime]]:
        """(id, the last time it was known to go on) of every call still in progress."""
        with self._sessions() as s:
            rows = s.execute(select(CallRecord.id, CallRecord.started_at, CallRecord.answered_at)
                             .where(CallRecord.outcome == "in_progress")).all()
        return [(call_id, as_utc(answered or started)) for call_id, started, answered in rows]

    def ended_while_away(self, call_id: str, before: datetime, after: datetime | None,
                         note: str) -> None:
        """The call ended while the daemon was away: at `before` (Asterisk's time) when
        `after` is None, else at some time between `after` and `before`. A record the daemon
        already ended later than that (it noticed only when back) gets the earlier end."""
        with self._tx() as s:
            rec = s.get(CallRecord, call_id)
            if rec is None:
                return
            if rec.outcome == "in_progress":
                rec.outcome = "voicemail" if rec.voicemail_box else \
                    "answered" if rec.answered_at else "missed"
                rec.detail = note
            elif rec.ended_at is None or as_utc(rec.ended_at) <= as_utc(before):
                return
            rec.ended_at, rec.ended_after = as_utc(before), after and as_utc(after)
            seconds = seconds_between(rec.answered_at or rec.started_at, before) if after is None \
                else None
            if rec.answered_at is not None:
                rec.talk_seconds = seconds
            else:
                rec.ring_seconds = seconds
            for leg in rec.legs:
                if leg.result is None:  # rang until the call ended
                    leg.result, leg.rang_to = "cancelled", as_utc(after or before)

    def fallback_call(self, call_id: str, number: str, caller: str, caller_name: str | None,
                      started_at: datetime, ended_at: datetime, answered_by: str | None,
                      answered_leg: str | None, answered_at: datetime | None,
                      note: str) -> None:
        """A call the dialplan's fallback handled: a new record, or the end of one the
        daemon handed to the fallback."""
        with self._tx() as s:
            rec = s.get(CallRecord, call_id)
            if rec is None:
                rec = CallRecord(id=call_id, direction="inbound", number=number, caller=caller,
                                 caller_name=caller_name, started_at=as_utc(started_at),
                                 outcome="in_progress")
                s.add(rec)
            elif rec.outcome not in ("in_progress", "fallback"):
                return
            rec.detail = f"{rec.detail}; {note}" if rec.detail else note
            rec.ended_at, rec.outcome = as_utc(ended_at), "missed"
            if answered_at is not None:
                rec.outcome, rec.answered_at = "answered", as_utc(answered_at)
                rec.answered_by, rec.answered_leg = answered_by, answered_leg
                rec.answered_department = _department_of(s, answered_by)
                rec.ring_seconds = seconds_between(rec.started_at, answered_at)
                rec.talk_seconds = seconds_between(answered_at, ended_at)
            else:
                rec.ring_seconds = seconds_between(rec.started_at, ended_at)

    def voicemail_of(self, call_id: str) -> tuple[str, str, str] | None:
        """(box, caller, number dialled) of a call that went to voicemail, or None."""
        with self._sessions() as s:
            row = s.execute(select(CallRecord.voicemail_box, CallRecord.caller,
                                   CallRecord.number).where(CallRecord.id == call_id)).first()
        return tuple(row) if row is not None and row[0] is not None else None

    # -- edited by people -----------------------------------------------------------------------

    def sticky_employee(self, caller: str, since: datetime) -> str | None:
        """Who last talked to this caller since `since` (sticky routing), or None."""
        with self._sessions() as s:
            return s.scalar(select(CallRecord.answered_by)
                            .where(CallRecord.caller == caller,
                                   CallRecord.started_at >= as_utc(since),
                                   CallRecord.answered_by.is_not(None))
                            .order_by(CallRecord.started_at.desc()).limit(1))

    def tag(self, call_id: str, category: str | None = None, value: str | None = None,
            comment: str | None = None) -> CallRecord:
        """Set the given fields (None: leave as is, "": clear). Returns the updated record."""
        for name, text in (("category", category), ("value", value)):
            if text is not None and len(text) > TAG_MAX:
                raise ValueError(f"{name}: at most {TAG_MAX} characters, got {len(text)}")
        with self._sessions.begin() as s:
            rec = s.get(CallRecord, call_id)
            if rec is None:
                raise UnknownCall(f"no call with id {call_id!r}")
            for name, text in (("category", category), ("value", value), ("comment", comment)):
                if text is not None:
                    setattr(rec, name, text or None)
        return self.get(call_id)

    # -- read -----------------------------------------------------------------------------------

    def get(self, call_id: str) -> CallRecord | None:
        """The call with its legs (`.legs`, in the order they were tried)."""
        with self._sessions() as s:
            return s.scalar(select(CallRecord).where(CallRecord.id == call_id)
                            .options(selectinload(CallRecord.legs)))

    def recent(self, limit: int = 50) -> list[CallRecord]:
        return self.list_calls(limit=limit).rows

    def list_calls(self, employee: str | None = None, department: str | None = None,
                   number: str | None = None, outcome: str | None = None,
                   since: datetime | None = None, until: datetime | None = None,
                   limit: int = 50, before: str | None = None, *,
                   with_legs: bool = False) -> Page:
        """Newest first. `since` is inclusive, `until` exclusive. Keyset pagination: `before`
        is the previous page's `next_cursor`, so a deep page costs what the first one does."""
        if outcome is not None:
            _check(outcome, OUTCOMES, "outcome")
        if not 1 <= limit <= PAGE_MAX:
            raise ValueError(f"limit: must be between 1 and {PAGE_MAX}, got {limit}")
        key = tuple_(CallRecord.started_at, CallRecord.id)
        q = select(CallRecord)
        for column, wanted in ((CallRecord.answered_by, employee),
                               (CallRecord.answered_department, department),
                               (CallRecord.number, number), (CallRecord.outcome, outcome)):
            if wanted is not None:
                q = q.where(column == wanted)
        if since is not None:
            q = q.where(CallRecord.started_at >= as_utc(since))
        after = decode_cursor(before) if before is not None else None
        # Give the index one upper bound, the stricter one: with both, SQLite seeks on
        # `until` and then walks every row down to the cursor, i.e. an offset in disguise.
        if after is not None and (until is None or after[0] < as_utc(until)):
            q = q.where(key < tuple_(*after))
        elif until is not None:
            q = q.where(CallRecord.started_at < as_utc(until))
        q = q.order_by(CallRecord.started_at.desc(), CallRecord.id.desc()).limit(limit + 1)
        if with_legs:
            q = q.options(selectinload(CallRecord.legs))
        with self._sessions() as s:
            rows = list(s.scalars(q))
        more = len(rows) > limit  # one extra row says whether a next page exists
        rows = rows[:limit]
        return Page(rows, encode_cursor(rows[-1]) if more else None)

    def report(self, since: datetime | None = None,
               until: datetime | None = None) -> list[EmployeeStats]:
        """Per employee: calls answered and their talk time (by call start), and legs that
        rang them unanswered (by ring start), over [since, until)."""
        answered = (select(CallRecord.answered_by, func.count(),
                           func.coalesce(func.sum(CallRecord.talk_seconds), 0.0))
                    .where(CallRecord.answered_by.is_not(None))
                    .group_by(CallRecord.answered_by))
        missed = (select(CallLeg.employee, func.count())
                  .where(CallLeg.employee.is_not(None), CallLeg.result.in_(UNANSWERED))
                  .group_by(CallLeg.employee))
        made = (select(CallRecord.employee, func.count(),
                       func.coalesce(func.sum(CallRecord.talk_seconds), 0.0))
                .where(CallRecord.direction == "outgoing", CallRecord.employee.is_not(None))
                .group_by(CallRecord.employee))
        if since is not None:
            answered = answered.where(CallRecord.started_at >= as_utc(since))
            missed = missed.where(CallLeg.rang_from >= as_utc(since))
            made = made.where(CallRecord.started_at >= as_utc(since))
        if until is not None:
            answered = answered.where(CallRecord.started_at < as_utc(until))
            missed = missed.where(CallLeg.rang_from < as_utc(until))
            made = made.where(CallRecord.started_at < as_utc(until))
        with self._sessions() as s:
            took = {name: (n, talk) for name, n, talk in s.execute(answered)}
            lost = dict(s.execute(missed).all())
            out = {name: (n, talk) for name, n, talk in s.execute(made)}
        stats = []
        for name in sorted(took.keys() | lost.keys() | out.keys()):
            count, talk = took.get(name, (0, 0.0))
            calls, out_talk = out.get(name, (0, 0.0))
            stats.append(EmployeeStats(name, count, lost.get(name, 0), round(talk, 3),
                                       calls, round(out_talk, 3)))
        return stats


def encode_cursor(rec: CallRecord) -> str:
    raw = json.dumps([as_utc(rec.started_at).isoformat(), rec.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        started, call_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return as_utc(datetime.fromisoformat(started)), str(call_id)
    except (binascii.Error, ValueError, TypeError):
        raise BadCursor(f"not a cursor from a previous page: {cursor!r}") from None


def _department_of(s, employee: str | None) -> str | None:
    if employee is None:
        return None
    return s.connection().scalar(_DEPARTMENT_OF, {"employee": employee})


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"{what}: unknown {value!r} (one of: {', '.join(allowed)})")


# INSERT ... ON CONFLICT DO NOTHING (both databases say it so): a resumed call's rows stay
# as they are, in one statement where a lookup and an insert were two.
_INSERT_NEW = {(dialect.__name__.rsplit(".", 1)[-1], table.name):
               dialect.insert(table).on_conflict_do_nothing()
               for dialect in (postgresql, sqlite) for table in (CALLS, LEGS)}


from . import queue_log  # noqa: E402,F401  (its table joins the calls tables' metadata)
from . import transfers  # noqa: E402,F401  (the same)
