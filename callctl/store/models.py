"""Database tables (SQLAlchemy 2). Schema changes go through Alembic migrations."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class CallRecord(Base):
    """One call as the call log shows it. Written at start, at answer and at the end; tags and
    the comment are edited later. `.legs` (table `call_legs`) is added by store/calls.py."""
    __tablename__ = "calls"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the caller's channel id
    direction: Mapped[str] = mapped_column(String(16))  # inbound | internal | outgoing
    number: Mapped[str] = mapped_column(String(64))  # what was dialled
    caller: Mapped[str] = mapped_column(String(128))
    caller_name: Mapped[str | None] = mapped_column(String(128))  # as the caller's ID gave it
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # UTC
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when the end is only known to lie between it and ended_at (the call ended while
    # the daemon was away and Asterisk kept no time): durations are then unknown (None).
    ended_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scheme: Mapped[str | None] = mapped_column(String(128))  # names, not ids: schemes change
    branch: Mapped[str | None] = mapped_column(String(128))
    answered_by: Mapped[str | None] = mapped_column(String(128))  # employee name
    # Copied at answer time, so the log still says "Sales" after the employee moves.
    answered_department: Mapped[str | None] = mapped_column(String(128))
    answered_leg: Mapped[str | None] = mapped_column(String(128))  # e.g. PJSIP/alice
    ring_seconds: Mapped[float | None] = mapped_column(Float)
    talk_seconds: Mapped[float | None] = mapped_column(Float)
    # in_progress | answered | missed | voicemail | ivr | not_in_service | fallback
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(255))
    route: Mapped[str | None] = mapped_column(Text)  # menu choices, voicemail: in order
    voicemail_box: Mapped[str | None] = mapped_column(String(128))  # where a message went
    employee: Mapped[str | None] = mapped_column(String(128))  # who made an outgoing call
    caller_id: Mapped[str | None] = mapped_column(String(32))  # the number it showed
    category: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)

    # Every page is "newest first, then by id" (keyset pagination), optionally under one
    # filter: each index leads with the filter column and ends with the sort key, so a page
    # is an index range walk with no sort, however many rows the table holds.
    __table_args__ = (
        Index("ix_calls_started_at_id", "started_at", "id"),
        Index("ix_calls_answered_by_started_at", "answered_by", "started_at", "id"),
        Index("ix_calls_department_started_at", "answered_department", "started_at", "id"),
        Index("ix_calls_number_started_at", "number", "started_at", "id"),
        Index("ix_calls_caller_started_at", "caller", "started_at"),  # sticky routing
        Index("ix_calls_outcome_started_at_id", "outcome", "started_at", "id"),
        Index("ix_calls_employee_started_at", "employee", "started_at"),  # outgoing reports
    )


from . import directory_models  # noqa: E402,F401
from . import scheme_models  # noqa: E402,F401
from . import messages  # noqa: E402,F401
from . import routing_models  # noqa: E402,F401
from . import prompt_models  # noqa: E402,F401
from . import notifications  # noqa: E402,F401
from . import outgoing_models  # noqa: E402,F401
from . import crm_models  # noqa: E402,F401
