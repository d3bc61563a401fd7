"""Database tables (SQLAlchemy 2). Schema changes go through Alembic migrations."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Index, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class CallRecord(Base):
    """One call as the call log shows it. Written at start, at answer and at the end."""
    __tablename__ = "calls"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the caller's channel id
    direction: Mapped[str] = mapped_column(String(16))  # inbound | internal
    number: Mapped[str] = mapped_column(String(64))  # what was dialled
    caller: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_by: Mapped[str | None] = mapped_column(String(128))  # employee name
    answered_leg: Mapped[str | None] = mapped_column(String(128))  # e.g. PJSIP/alice
    ring_seconds: Mapped[float | None] = mapped_column(Float)
    talk_seconds: Mapped[float | None] = mapped_column(Float)
    # in_progress | answered | missed | not_in_service | fallback | abandoned
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (
        Index("ix_calls_started_at", "started_at"),
        Index("ix_calls_outcome_started_at", "outcome", "started_at"),
    )


from . import directory_models  # noqa: E402,F401
from . import scheme_models  # noqa: E402,F401
