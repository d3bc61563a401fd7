"""Invitations and passwords: the part of the directory service that signs people in.
A mixin of DirectoryService (it uses its sessions, clock, mailer, lookups and views)."""
from __future__ import annotations

from sqlalchemy import func, select

from ..store.directory_models import Employee
from ..store.tokens import hash_token, new_token
from .credentials import (INVITATION_TTL, MIN_PASSWORD, hash_password, needs_rehash,
                          send_invitation, verify_password)
from .errors import DirectoryError
from .result import Result
from .views import employees_query, utc


class Invitations:
    def invite(self, full_name) -> Result:
        """A fresh one-time token (the previous one stops working), e.g. after expiry."""
        with self._sessions.begin() as s:
            e = self._get(s, "employee", full_name)
            token = new_token()
            e.invite_token_hash = hash_token(token)
            e.invite_expires_at = self._clock() + INVITATION_TTL
            result = Result(self._employee_view(e), invitation_token=token)
            email, name = e.email, e.full_name
        result.messages.append(send_invitation(self._mailer, email, name, token))
        return result

    def accept_invitation(self, token, password) -> Result:
        with self._sessions.begin() as s:
            e = None
            if isinstance(token, str) and token:
                q = select(Employee).where(Employee.invite_token_hash == hash_token(token))
                e = s.scalar(q)
            if e is None:
                raise DirectoryError("invitation", "token", "unknown or already used",
                                     code="not_found")
            if utc(e.invite_expires_at) <= self._clock():
                raise DirectoryError("invitation", "token",
                                     "expired: ask an admin for a new invitation")
            if not isinstance(password, str) or len(password) < MIN_PASSWORD:
                raise DirectoryError(f"employee {e.full_name!r}", "password",
                                     f"must be at least {MIN_PASSWORD} characters")
            e.password_hash = hash_password(password)
            e.invite_token_hash = e.invite_expires_at = None  # burnt: single use
            return Result(self._employee_view(e))

    def authenticate(self, email, password) -> dict | None:
        """The employee whose e-mail and password match, else None (for the API's login)."""
        if not isinstance(email, str) or not isinstance(password, str):
            return None
        with self._sessions.begin() as s:
            e = s.scalar(employees_query().where(func.lower(Employee.email) == func.lower(email)))
            if e is None or not e.password_hash or not verify_password(password, e.password_hash):
                return None
            if needs_rehash(e.password_hash):  # an older scheme or cost: upgraded now
                e.password_hash = hash_password(password)
            return self._employee_view(e)
