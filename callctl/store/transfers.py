"""Transfers in the call log: each one a call had (who transferred to whom, blind or
attended, by keypad, REFER or API, how it ended), and from them every party's talk time.

Written by the daemon through the call-log recorder (functions taking the CallLog first,
like CallLog's own methods), read by `calls show` and the API. A completed transfer makes
its recipient the call's responsible employee (`answered_by`, what reports count).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (CheckConstraint, DateTime, ForeignKey, Index, Integer, String,
                        select)
from sqlalchemy.orm import Mapped, mapped_column

from .calls import _department_of
from .times import as_utc, seconds_between
from .models import Base, CallRecord


class CallTransfer(Base):
    __tablename__ = "call_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE", name="fk_call_transfers_call"))
    seq: Mapped[int] = mapped_column(Integer)  # 1 for the call's first transfer
    mode: Mapped[str] = mapped_column(String(8))  # blind | attended
    via: Mapped[str] = mapped_column(String(8))  # keypad | refer | api
    transferer: Mapped[str] = mapped_column(String(128))  # employee (or account, number)
    target: Mapped[str] = mapped_column(String(128))  # as asked: 102, Sales, +1555...
    label: Mapped[str | None] = mapped_column(String(255))  # whom that rang
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result: Mapped[str | None] = mapped_column(String(16))  # domain/transfer.py RESULTS
    recipient: Mapped[str | None] = mapped_column(String(128))  # who answered
    recipient_leg: Mapped[str | None] = mapped_column(String(128))  # e.g. PJSIP/bob
    detail: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (
        Index("uq_call_transfers_call_seq", "call_id", "seq", unique=True),
        CheckConstraint("mode IN ('blind', 'attended')", name="ck_call_transfers_mode"),
        CheckConstraint("via IN ('keypad', 'refer', 'api')", name="ck_call_transfers_via"),
        CheckConstraint("result IS NULL OR result IN ('completed', 'cancelled', 'no_answer', "
                        "'declined', 'refused', 'abandoned')", name="ck_call_transfers_result"),
    )


# -- written by the daemon ------------------------------------------------------------------

def transfer_started(call_log, call_id: str, seq: int, mode: str, via: str, transferer: str,
            target: str, label: str | None, at: datetime) -> None:
    with call_log._tx() as s:
        if s.get(CallRecord, call_id) is None or _row(s, call_id, seq) is not None:
            return  # no record, or a restarted daemon going on with this transfer
        s.add(CallTransfer(call_id=call_id, seq=seq, mode=mode, via=via, transferer=transferer,
                           target=target[:128], label=label, started_at=as_utc(at)))


def transfer_answered(call_log, call_id: str, seq: int, recipient: str, leg: str,
             at: datetime) -> None:
    """The recipient answered: an attended transfer's consultation begins."""
    with call_log._tx() as s:
        if (row := _row(s, call_id, seq)) is not None:
            row.recipient, row.recipient_leg, row.answered_at = recipient, leg, as_utc(at)


def transfer_ended(call_log, call_id: str, seq: int, result: str, at: datetime,
          recipient: str | None = None, leg: str | None = None,
          detail: str | None = None, employee: str | None = None) -> None:
    """The transfer is over. Completed, its recipient has the call: `employee` (when the
    recipient is one) becomes the call's responsible employee."""
    with call_log._tx() as s:
        row = _row(s, call_id, seq)
        if row is None or row.result is not None:
            return
        row.result, row.ended_at, row.detail = result, as_utc(at), detail and detail[:255]
        row.recipient = recipient or row.recipient
        row.recipient_leg = leg or row.recipient_leg
        if result == "completed" and row.answered_at is None:
            row.answered_at = as_utc(at)
        rec = s.get(CallRecord, call_id)
        if result == "completed" and employee is not None and rec is not None:
            rec.answered_by, rec.answered_department = employee, _department_of(s, employee)
            rec.answered_leg = leg or rec.answered_leg


def _row(s, call_id: str, seq: int) -> CallTransfer | None:
    return s.scalar(select(CallTransfer).where(CallTransfer.call_id == call_id,
                                               CallTransfer.seq == seq))


# -- read -------------------------------------------------------------------------------------

def of_call(call_log, call_id: str) -> list[CallTransfer]:
    with call_log._sessions() as s:
        return list(s.scalars(select(CallTransfer).where(CallTransfer.call_id == call_id)
                              .order_by(CallTransfer.seq)))


def parties(rec: CallRecord, transfers: list[CallTransfer]) -> list[dict]:
    """Everyone who talked in the call, in order, each with when and how long: the caller
    and whoever answered first, then each completed transfer's recipient, who takes the
    place of its transferer (an attended transfer's recipient from the consultation on)."""
    first = next((leg for leg in rec.legs if leg.result == "answered"), None)
    if rec.answered_at is None:
        return []
    caller = _party(rec.caller_name or rec.caller, "caller", rec.answered_at)
    answerer = _party(first.employee or first.target if first else rec.answered_by or "?",
                      "answered", rec.answered_at)
    sides, done = [caller, answerer], []
    for t in transfers:
        if t.result != "completed":
            continue
        mine = next((side for side in sides if side["who"] == t.transferer), sides[1])
        _close(mine, t.ended_at)
        done.append(mine)
        sides[sides.index(mine)] = _party(t.recipient or t.label or t.target,
                                          f"transfer {t.seq} ({t.mode}, {t.via})",
                                          t.answered_at or t.ended_at)
    for side in sides:
        _close(side, rec.ended_at)
    return sorted(done + sides, key=lambda p: (as_utc(p["talk_from"]), p is not caller))


def _party(who: str, how: str, since: datetime) -> dict:
    return {"who": who, "how": how, "talk_from": since, "talk_to": None, "talk_seconds": None}


def _close(party: dict, at: datetime | None) -> None:
    if at is not None:
        party["talk_to"] = at
        party["talk_seconds"] = max(0.0, seconds_between(party["talk_from"], at))
