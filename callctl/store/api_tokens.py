"""API bearer tokens: the table and its repository.

A token belongs to an employee and dies with them (ON DELETE CASCADE). Only its SHA-256 is
stored; the token itself is shown once, at creation. The access level is not copied here:
it is read from the employee on every lookup, so a changed level applies at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import DateTime, ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from ..domain.names import shown
from .directory_models import Employee
from .models import Base
from .tokens import hash_token, new_token

TOKEN_PREFIX = "cc_"  # makes a pasted token recognisable (and greppable by secret scanners)


@dataclass(frozen=True)
class Principal:
    """Who a token stands for, and their access level as of now."""
    employee: str
    level: str


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), index=True)
    label: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UnknownEmployee(LookupError):
    pass


class ApiTokens:
    def __init__(self, sessions: sessionmaker):
        self._sessions = sessions

    def create_token(self, employee_name: str, label: str | None = None) -> str:
        """A new token for the employee; the only time the token itself is seen."""
        token = new_token(TOKEN_PREFIX)
        with self._sessions.begin() as s:
            employee_id = s.scalar(select(Employee.id).where(Employee.full_name == employee_name))
            if employee_id is None:
                raise UnknownEmployee(f"no employee named {shown(employee_name)}")
            s.add(ApiToken(token_hash=hash_token(token), employee_id=employee_id, label=label,
                           created_at=datetime.now(timezone.utc)))
        return token

    def resolve(self, token: str) -> Principal | None:
        with self._sessions() as s:
            row = s.execute(
                select(Employee.full_name, Employee.access_level)
                .join(ApiToken, ApiToken.employee_id == Employee.id)
                .where(ApiToken.token_hash == hash_token(token))).first()
        return Principal(employee=row[0], level=row[1]) if row else None

    def revoke(self, token: str) -> bool:
        with self._sessions.begin() as s:
            gone = s.execute(delete(ApiToken).where(ApiToken.token_hash == hash_token(token)))
        return gone.rowcount > 0
