"""The call log's repository: the only code that reads and writes call records."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from .models import CallRecord


class CallLog:
    def __init__(self, sessions: sessionmaker):
        self._sessions = sessions

    def started(self, call_id: str, direction: str, number: str, caller: str,
                at: datetime) -> None:
        """Insert the record, or keep the existing one when a restarted daemon resumes it."""
        with self._sessions.begin() as s:
            if s.get(CallRecord, call_id) is None:
                s.add(CallRecord(id=call_id, direction=direction, number=number, caller=caller,
                                 started_at=at, outcome="in_progress"))

    def answered(self, call_id: str, employee: str | None, leg: str, at: datetime) -> None:
        with self._sessions.begin() as s:
            rec = s.get(CallRecord, call_id)
            if rec is not None:
                rec.answered_by, rec.answered_leg, rec.answered_at = employee, leg, at
                rec.ring_seconds = _seconds(rec.started_at, at)

    def ended(self, call_id: str, outcome: str, at: datetime, detail: str | None = None) -> None:
        with self._sessions.begin() as s:
            rec = s.get(CallRecord, call_id)
            if rec is None:
                return
            rec.ended_at, rec.outcome, rec.detail = at, outcome, detail
            if rec.answered_at is not None:
                rec.talk_seconds = _seconds(rec.answered_at, at)
            else:
                rec.ring_seconds = _seconds(rec.started_at, at)

    def get(self, call_id: str) -> CallRecord | None:
        with self._sessions() as s:
            return s.get(CallRecord, call_id)

    def recent(self, limit: int = 50) -> list[CallRecord]:
        with self._sessions() as s:
            q = select(CallRecord).order_by(CallRecord.started_at.desc()).limit(limit)
            return list(s.scalars(q))


def _seconds(start: datetime, end: datetime) -> float:
    # SQLite hands back naive datetimes; every timestamp we store is UTC.
    if start.tzinfo is None and end.tzinfo is not None:
        end = end.replace(tzinfo=None)
    return round((end - start).total_seconds(), 3)
