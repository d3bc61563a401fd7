"""Outgoing calls: caller-ID rules and barred SIP accounts.

Only `callctl.outgoing.service` writes them. Owners are named as people name them (a SIP
login, an employee's or department's name): the service follows renames and refuses (or,
with force, detaches) the deletion of anything a rule names.
"""
from __future__ import annotations

from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base


class CallerIdRuleRow(Base):
    __tablename__ = "outgoing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # sip_account|employee|department|company
    owner: Mapped[str] = mapped_column(String(128))  # "" for the company
    prefix: Mapped[str] = mapped_column(String(16))  # "" for every destination
    number: Mapped[str] = mapped_column(String(24))  # a company number (E.164)

    __table_args__ = (
        UniqueConstraint("scope", "owner", "prefix", name="uq_outgoing_rules_owner_prefix"),
        CheckConstraint("scope IN ('sip_account', 'employee', 'department', 'company')",
                        name="ck_outgoing_rules_scope"),
    )


class OutgoingBan(Base):
    """A SIP account that may not call outside numbers."""
    __tablename__ = "outgoing_bans"

    login: Mapped[str] = mapped_column(String(40), primary_key=True)
