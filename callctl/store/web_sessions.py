"""Sign-in sessions of the workspace page: the table and its repository.

The browser holds only a random session id in an HttpOnly cookie; the database holds its
SHA-256 (a leaked database opens no session), the employee, and two deadlines: an idle one
that moves with every use and an absolute one that does not. The access level is read from
the employee on every lookup, like API tokens, so a demotion applies at once.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import DateTime, ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from .api_tokens import Principal
from .directory_models import Employee
from .models import Base
from .times import as_utc
from .tokens import hash_token, new_token

IDLE = timedelta(hours=12)  # unused this long: signed out
LONGEST = timedelta(days=7)  # signed out after this however busy
TOUCH_EVERY = timedelta(minutes=1)  # the idle deadline is written at most this often


class WebSession(Base):
    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE", name="fk_web_sessions_employee"),
        index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    idle_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def csrf_token(session_id: str) -> str:
    """The anti-forgery token of a session: derived from its id (which another site never
    sees), so nothing more is stored, and it cannot be forged without the cookie."""
    return hmac.new(session_id.encode(), b"callctl csrf", hashlib.sha256).hexdigest()


class WebSessions:
    def __init__(self, sessions: sessionmaker,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self._sessions, self._clock = sessions, clock

    def open(self, employee_name: str) -> str:
        """A new session for the employee; returns its id (the cookie's value)."""
        session_id, now = new_token(), self._clock()
        with self._sessions.begin() as s:
            employee_id = s.scalar(select(Employee.id)
                                   .where(Employee.full_name == employee_name))
            s.execute(delete(WebSession).where(WebSession.ends_at < now))  # sweep the dead
            s.add(WebSession(id_hash=hash_token(session_id), employee_id=employee_id,
                             created_at=now, idle_until=now + IDLE, ends_at=now + LONGEST))
        return session_id

    def resolve(self, session_id: str) -> Principal | None:
        """Who the session stands for, None when unknown or expired; use extends it."""
        now = self._clock()
        with self._sessions.begin() as s:
            row = s.execute(select(WebSession, Employee.full_name, Employee.access_level)
                            .join(Employee, Employee.id == WebSession.employee_id)
                            .where(WebSession.id_hash == hash_token(session_id))).first()
            if row is None:
                return None
            session, name, level = row
            if as_utc(session.idle_until) <= now or as_utc(session.ends_at) <= now:
                s.delete(session)
                return None
            if as_utc(session.idle_until) - IDLE + TOUCH_EVERY <= now:
                session.idle_until = min(now + IDLE, as_utc(session.ends_at))
        return Principal(employee=name, level=level)

    def close(self, session_id: str) -> None:
        with self._sessions.begin() as s:
            s.execute(delete(WebSession).where(WebSession.id_hash == hash_token(session_id)))
