"""The voicemail outbox: one row per (message, channel, recipient) to tell, kept until it is
sent or given up, so a notification survives a failing mail server, a failing SMS gateway
and daemon restarts. Also the daemon's generated secrets (the listen-link key).

A message's rows are written in one transaction that also marks the message as queued
(`voice_messages.notified_at`): a message stored but never queued (the daemon stopped in
between) is found by `unqueued` and queued at the next start, and queueing twice is a no-op.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (CheckConstraint, DateTime, ForeignKey, Index, Integer, String,
                        UniqueConstraint, func, select, update)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from ..domain.notices import utc
from .messages import VoiceMessage
from .models import Base, CallRecord

ERROR_MAX = 500


class VoicemailNotification(Base):
    __tablename__ = "voicemail_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey(
        "voice_messages.id", ondelete="CASCADE", name="fk_voicemail_notifications_message"))
    channel: Mapped[str] = mapped_column(String(8))  # email | sms
    recipient: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(8), default="pending")  # sent | failed: given up
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(ERROR_MAX))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("message_id", "channel", "recipient",
                         name="uq_voicemail_notifications_target"),
        Index("ix_voicemail_notifications_due", "state", "next_attempt_at"),
        CheckConstraint("channel IN ('email', 'sms')", name="ck_voicemail_notifications_channel"),
        CheckConstraint("state IN ('pending', 'sent', 'failed')",
                        name="ck_voicemail_notifications_state"),
    )


class AppSecret(Base):
    """Secrets the daemon generates once and keeps (base64 text)."""
    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


@dataclass(frozen=True)
class Pending:
    """A notification due now, with what its text needs."""
    id: int
    channel: str
    recipient: str
    attempts: int  # tries so far
    queued_at: datetime
    message_id: int
    call_id: str
    box: str
    seconds: float
    left_at: datetime
    caller: str
    caller_name: str | None
    number: str


class Outbox:
    def __init__(self, sessions: sessionmaker):
        self._sessions = sessions

    def queue(self, message_id: int, targets: list[tuple[str, str]], at: datetime) -> bool:
        """Queue (channel, recipient) notifications for a message, once: False when the
        message was queued before (or is gone), and then nothing is written."""
        at = utc(at)
        with self._sessions.begin() as s:
            marked = s.execute(update(VoiceMessage)
                               .where(VoiceMessage.id == message_id,
                                      VoiceMessage.notified_at.is_(None))
                               .values(notified_at=at))
            if marked.rowcount != 1:
                return False
            s.add_all(VoicemailNotification(message_id=message_id, channel=channel,
                                            recipient=recipient, state="pending", attempts=0,
                                            next_attempt_at=at, created_at=at)
                      for channel, recipient in dict.fromkeys(targets))
        return True

    def unqueued(self) -> list[tuple[int, str]]:
        """(message id, box) of stored messages nobody has been told about yet."""
        with self._sessions() as s:
            return list(s.execute(select(VoiceMessage.id, VoiceMessage.box)
                                  .where(VoiceMessage.notified_at.is_(None))
                                  .order_by(VoiceMessage.id)))

    def due(self, now: datetime, limit: int = 20) -> list[Pending]:
        n, m, c = VoicemailNotification, VoiceMessage, CallRecord
        q = (select(n.id, n.channel, n.recipient, n.attempts, n.created_at.label("queued_at"),
                    m.id.label("message_id"), m.call_id, m.box, m.seconds,
                    m.created_at.label("left_at"), c.caller, c.caller_name, c.number)
             .join(m, m.id == n.message_id).outerjoin(c, c.id == m.call_id)
             .where(n.state == "pending", n.next_attempt_at <= utc(now))
             .order_by(n.next_attempt_at, n.id).limit(limit))
        with self._sessions() as s:
            rows = s.execute(q).all()
        # The call record may be gone (never written): the message is told of all the same.
        return [Pending(**{**row._mapping, "queued_at": utc(row.queued_at),
                           "left_at": utc(row.left_at), "caller": row.caller or "",
                           "number": row.number or ""}) for row in rows]

    def next_due(self) -> datetime | None:
        with self._sessions() as s:
            at = s.scalar(select(func.min(VoicemailNotification.next_attempt_at))
                          .where(VoicemailNotification.state == "pending"))
        return utc(at) if at is not None else None

    def claim(self, item: Pending, lease_until: datetime) -> bool:
        """Take a due notification for one try: counts the attempt and keeps others (another
        daemon on the same database) away until `lease_until`, when it is tried again if
        this daemon died meanwhile. False: someone else took it first."""
        with self._sessions.begin() as s:
            n = VoicemailNotification
            done = s.execute(update(n).where(n.id == item.id, n.state == "pending",
                                             n.attempts == item.attempts)
                             .values(attempts=n.attempts + 1, next_attempt_at=utc(lease_until)))
            return done.rowcount == 1

    def released(self, notification_id: int, at: datetime) -> None:
        """A try cut short by a stop: due again at `at` instead of when the lease ends."""
        self._finish(notification_id, next_attempt_at=utc(at))

    def sent(self, notification_id: int, at: datetime) -> None:
        self._finish(notification_id, state="sent", finished_at=utc(at))

    def failed(self, notification_id: int, error: str, retry_at: datetime | None,
               at: datetime) -> None:
        """A try failed: again at `retry_at`, or (None) given up for good."""
        error = error[:ERROR_MAX]
        if retry_at is None:
            self._finish(notification_id, state="failed", last_error=error,
                         finished_at=utc(at))
        else:
            self._finish(notification_id, last_error=error, next_attempt_at=utc(retry_at))

    def for_message(self, message_id: int) -> list[VoicemailNotification]:
        with self._sessions() as s:
            return list(s.scalars(select(VoicemailNotification)
                                  .where(VoicemailNotification.message_id == message_id)
                                  .order_by(VoicemailNotification.id)))

    def secret(self, name: str, make) -> str:
        """The secret called `name`, made with `make()` and kept the first time it is asked
        for; two daemons starting at once agree on the first one written."""
        with self._sessions() as s:
            found = s.get(AppSecret, name)
        if found is not None:
            return found.value
        try:
            with self._sessions.begin() as s:
                s.add(AppSecret(name=name, value=make()))
        except IntegrityError:
            pass  # written meanwhile by another process: take theirs
        with self._sessions() as s:
            return s.get(AppSecret, name).value

    def _finish(self, notification_id: int, **values) -> None:
        with self._sessions.begin() as s:
            s.execute(update(VoicemailNotification)
                      .where(VoicemailNotification.id == notification_id).values(**values))
