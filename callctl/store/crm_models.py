"""The built-in CRM: client cards, their leads, contacts and deals, call-back tasks, and
which CRM user each employee is (for the CRM call events and an external CRM's answers).

Only `callctl.crm.service` writes them. A client's phones are rows of their own, unique,
so the caller of every call is found by one index lookup.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import Base

ENTITY_KINDS = ("lead", "contact", "deal")
STATES = ("open", "closed")


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    company: Mapped[str | None] = mapped_column(String(128))
    address: Mapped[str | None] = mapped_column(String(255))
    comment: Mapped[str | None] = mapped_column(Text)
    emails: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    phones: Mapped[list[ClientPhone]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="ClientPhone.id")
    entities: Mapped[list[CrmEntity]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="CrmEntity.id")


class ClientPhone(Base):
    __tablename__ = "client_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE", name="fk_client_phones_client"))
    number: Mapped[str] = mapped_column(String(24))  # E.164

    client: Mapped[Client] = relationship(back_populates="phones")

    __table_args__ = (Index("uq_client_phones_number", "number", unique=True),)


class CrmEntity(Base):
    """A lead, contact or deal of a client, with the employee responsible for it."""
    __tablename__ = "crm_entities"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE", name="fk_crm_entities_client"))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(255))
    responsible_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", ondelete="SET NULL", name="fk_crm_entities_responsible"))
    state: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    client: Mapped[Client] = relationship(back_populates="entities")

    __table_args__ = (
        Index("ix_crm_entities_client", "client_id", "kind", "state"),
        CheckConstraint("kind IN ('lead', 'contact', 'deal')", name="ck_crm_entities_kind"),
        CheckConstraint("state IN ('open', 'closed')", name="ck_crm_entities_state"),
    )


class CrmTask(Base):
    """A task for an employee; a missed call makes a "call back" one with a deadline."""
    __tablename__ = "crm_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE", name="fk_crm_tasks_client"))
    kind: Mapped[str] = mapped_column(String(16))  # "call_back"
    call_id: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    responsible_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", ondelete="SET NULL", name="fk_crm_tasks_responsible"))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_crm_tasks_open", "done_at", "due_at"),
                      Index("uq_crm_tasks_call", "call_id", unique=True))


class CrmUser(Base):
    """Which user of the external CRM an employee is."""
    __tablename__ = "crm_users"

    crm_user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE", name="fk_crm_users_employee"),
        unique=True)
