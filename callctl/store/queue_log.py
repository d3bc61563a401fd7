"""Queue visits: each time a call waited in a queue, how long, where it stood, how it left.
Written by the daemon (through the call-log recorder), read by `queues report`."""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import CheckConstraint, DateTime, Float, Index, Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from .times import as_utc, seconds_between
from .models import Base, CallRecord

VISIT_OUTCOMES = ("answered", "abandoned", "timeout", "next", "callback")


class QueueVisit(Base):
    __tablename__ = "queue_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(128))
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    position: Mapped[int] = mapped_column(Integer)  # 1: first in line when it joined
    # answered | abandoned (hung up) | timeout (max wait) | next (left to the next step:
    # every operator offline) | callback (asked to be called back)
    outcome: Mapped[str | None] = mapped_column(String(16))
    answered_by: Mapped[str | None] = mapped_column(String(128))
    wait_seconds: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        Index("ix_queue_visits_queue_joined_at", "queue", "joined_at"),
        Index("ix_queue_visits_call_id", "call_id"),
        CheckConstraint("outcome IS NULL OR outcome IN ('answered', 'abandoned', 'timeout', "
                        "'next', 'callback')", name="ck_queue_visits_outcome"),
    )


class QueueCallback(Base):
    """A caller who asked to be called back: they keep their place in line (joined_at).
    `dialled` is final: a callback is made at most once, even across a restart."""
    __tablename__ = "queue_callbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(String(128))
    number: Mapped[str] = mapped_column(String(64))  # whom to call back
    caller_id: Mapped[str] = mapped_column(String(64))  # what they see: the number they rang
    call_id: Mapped[str] = mapped_column(String(64))  # the call they asked from
    joined_at: Mapped[float] = mapped_column(Float)  # epoch seconds
    state: Mapped[str] = mapped_column(String(16))  # waiting | dialled | failed
    detail: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_queue_callbacks_state", "state", "queue"),
        CheckConstraint("state IN ('waiting', 'dialled', 'failed')",
                        name="ck_queue_callbacks_state"),
    )


@dataclass(frozen=True)
class Callback:
    id: int
    queue: str
    number: str
    caller_id: str
    call_id: str
    joined_at: float


def callback_requested(sessions: sessionmaker, queue: str, number: str, caller_id: str,
                       call_id: str, joined_at: float) -> Callback:
    with sessions.begin() as s:
        row = QueueCallback(queue=queue, number=number, caller_id=caller_id, call_id=call_id,
                            joined_at=joined_at, state="waiting",
                            updated_at=datetime.now(timezone.utc))
        s.add(row)
        s.flush()
        return Callback(row.id, queue, number, caller_id, call_id, joined_at)


def callback_done(sessions: sessionmaker, callback_id: int, state: str,
                  detail: str | None = None) -> None:
    with sessions.begin() as s:
        row = s.get(QueueCallback, callback_id)
        if row is not None:
            row.state, row.detail = state, detail
            row.updated_at = datetime.now(timezone.utc)


def callbacks_waiting(sessions: sessionmaker) -> list[Callback]:
    """The callbacks still to make (a restarted daemon puts them back in line)."""
    with sessions() as s:
        return [Callback(r.id, r.queue, r.number, r.caller_id, r.call_id, r.joined_at)
                for r in s.scalars(select(QueueCallback).where(QueueCallback.state == "waiting")
                                   .order_by(QueueCallback.joined_at))]


@dataclass(frozen=True)
class QueueReport:
    queue: str
    offered: int
    answered: int
    abandoned: int
    timed_out: int  # left after max wait, or to the next step, or asked for a callback
    wait_avg: float | None
    wait_p90: float | None
    service_level: float | None  # share answered within `within` seconds of those offered
    within: int
    operators: list[tuple[str, int, float]]  # (who, answered, talk seconds)


def joined(call_log, call_id: str, queue: str, at: datetime, position: int) -> None:
    """A CallLog write (see calls/recorder.py): the call starts waiting in `queue`."""
    with call_log._tx() as s:
        s.add(QueueVisit(call_id=call_id, queue=queue, joined_at=as_utc(at), position=position))


def left(call_log, call_id: str, queue: str, at: datetime, outcome: str,
         answered_by: str | None = None) -> None:
    """A CallLog write: the call's open visit of `queue` ends with `outcome`."""
    with call_log._tx() as s:
        visit = s.scalar(select(QueueVisit).where(QueueVisit.call_id == call_id,
                                                  QueueVisit.queue == queue,
                                                  QueueVisit.left_at.is_(None))
                         .order_by(QueueVisit.id.desc()).limit(1))
        if visit is not None:
            visit.left_at, visit.outcome, visit.answered_by = as_utc(at), outcome, answered_by
            visit.wait_seconds = seconds_between(visit.joined_at, at)


def answered_today(sessions: sessionmaker, queue: str, since: datetime) -> dict[str, int]:
    """Calls each operator answered from `queue` since `since` (fewestcalls survives a
    restart of the daemon)."""
    with sessions() as s:
        rows = s.execute(select(QueueVisit.answered_by, func.count())
                         .where(QueueVisit.queue == queue, QueueVisit.outcome == "answered",
                                QueueVisit.joined_at >= as_utc(since))
                         .group_by(QueueVisit.answered_by))
        return {who: n for who, n in rows if who is not None}


def report(sessions: sessionmaker, queue: str, since: datetime | None, until: datetime | None,
           within: int) -> QueueReport:
    with sessions() as s:
        q = select(QueueVisit).where(QueueVisit.queue == queue,
                                     QueueVisit.left_at.is_not(None))
        if since is not None:
            q = q.where(QueueVisit.joined_at >= as_utc(since))
        if until is not None:
            q = q.where(QueueVisit.joined_at < as_utc(until))
        visits = list(s.scalars(q))
        talk = dict(s.execute(select(CallRecord.id, CallRecord.talk_seconds).where(
            CallRecord.id.in_([v.call_id for v in visits if v.outcome == "answered"]))).all())
    answered = [v for v in visits if v.outcome == "answered"]
    waits = sorted(v.wait_seconds for v in visits if v.wait_seconds is not None)
    per: dict[str, list[float]] = {}
    for v in answered:
        per.setdefault(v.answered_by or "?", []).append(talk.get(v.call_id) or 0.0)
    return QueueReport(
        queue, len(visits), len(answered), sum(v.outcome == "abandoned" for v in visits),
        sum(v.outcome in ("timeout", "next", "callback") for v in visits),
        round(statistics.fmean(waits), 1) if waits else None,
        round(waits[min(len(waits) - 1, int(0.9 * len(waits)))], 1) if waits else None,
        round(sum((v.wait_seconds or 0) <= within for v in answered) / len(visits), 3)
        if visits else None, within,
        sorted((who, len(t), round(sum(t), 1)) for who, t in per.items()))
