"""Directory tables: employees, departments, their contacts, SIP accounts, company numbers.

Only `callctl.directory.service` writes them; it enforces the cross-table rules (an
extension is unique across employees AND departments, ...). The database keeps what it can
on its own: uniqueness per table, foreign keys, value ranges.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String,
                        UniqueConstraint, func)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import Base

ACCESS_LEVELS = ("admin", "manager", "operator")
CONTACT_KINDS = ("phone", "sip_uri")
CONTACT_ROLES = ("primary", "other")
REG_STATES = ("online", "offline")


class Meta(Base):
    """One row per key. `directory_version` is bumped by every directory change, so a daemon
    notices changes another process (CLI, API) made."""
    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    extension: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    employees: Mapped[list[Employee]] = relationship(back_populates="department",
                                                     order_by="Employee.full_name")

    __table_args__ = (
        UniqueConstraint("name", name="uq_departments_name"),
        UniqueConstraint("extension", name="uq_departments_extension"),
    )


class Employee(Base):
    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(128))
    email: Mapped[str] = mapped_column(String(254))  # unique case-insensitively: index below
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL", name="fk_employees_department"),
        index=True)
    access_level: Mapped[str] = mapped_column(String(16), default="operator")
    extension: Mapped[str] = mapped_column(String(8))
    online: Mapped[bool] = mapped_column(Boolean, default=True)
    # Rung for a new call while already on one (off: a busy employee is skipped).
    call_waiting: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Only a hash of the one-time invitation token is kept; the token itself is e-mailed.
    invite_token_hash: Mapped[str | None] = mapped_column(String(64))
    invite_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    department: Mapped[Department | None] = relationship(back_populates="employees")
    contacts: Mapped[list[EmployeeContact]] = relationship(
        back_populates="employee", cascade="all, delete-orphan",
        order_by="EmployeeContact.position")
    sip_accounts: Mapped[list[SipAccount]] = relationship(back_populates="employee",
                                                          order_by="SipAccount.login")

    __table_args__ = (
        UniqueConstraint("full_name", name="uq_employees_full_name"),
        UniqueConstraint("extension", name="uq_employees_extension"),
        UniqueConstraint("invite_token_hash", name="uq_employees_invite_token_hash"),
        CheckConstraint("access_level IN ('admin', 'manager', 'operator')",
                        name="ck_employees_access_level"),
    )


Index("uq_employees_email_lower", func.lower(Employee.email), unique=True)


class EmployeeContact(Base):
    """A phone number or SIP URI of an employee. Primary ones ring when the employee is
    called; other ones only recognise who made or took a call (hence the index on value)."""
    __tablename__ = "employee_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE", name="fk_employee_contacts_employee"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(255), index=True)
    role: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)  # keeps the order given

    employee: Mapped[Employee] = relationship(back_populates="contacts")

    __table_args__ = (
        UniqueConstraint("employee_id", "kind", "value", name="uq_employee_contacts_value"),
        CheckConstraint("kind IN ('phone', 'sip_uri')", name="ck_employee_contacts_kind"),
        CheckConstraint("role IN ('primary', 'other')", name="ck_employee_contacts_role"),
    )


class SipAccount(Base):
    __tablename__ = "sip_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(40))
    # Kept in clear: it is pushed to Asterisk as the PJSIP auth password.
    password: Mapped[str] = mapped_column(String(64))
    employee_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", ondelete="SET NULL", name="fk_sip_accounts_employee"),
        index=True)
    on_pc: Mapped[bool] = mapped_column(Boolean, default=False)
    on_mobile: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Written by the daemon from Asterisk's contact/endpoint events.
    reg_state: Mapped[str] = mapped_column(String(8), default="offline",
                                           server_default="offline")
    reg_contact: Mapped[str | None] = mapped_column(String(255))
    reg_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    employee: Mapped[Employee | None] = relationship(back_populates="sip_accounts")

    __table_args__ = (
        UniqueConstraint("login", name="uq_sip_accounts_login"),
        CheckConstraint("reg_state IN ('online', 'offline')", name="ck_sip_accounts_reg_state"),
    )


class PhoneNumber(Base):
    """A company number (DID). The fallback (where Asterisk sends the call when the daemon
    is absent) is an employee or a phone number: two columns, so renaming or deleting the
    employee cannot leave a dangling name behind."""
    __tablename__ = "phone_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24))
    employee_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", ondelete="SET NULL", name="fk_phone_numbers_employee"),
        index=True)
    ring_timeout: Mapped[int] = mapped_column(Integer, default=30)
    fallback_employee_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", ondelete="SET NULL",
                   name="fk_phone_numbers_fallback_employee"), index=True)
    fallback_phone: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    employee: Mapped[Employee | None] = relationship(foreign_keys=[employee_id])
    fallback_employee: Mapped[Employee | None] = relationship(foreign_keys=[fallback_employee_id])

    __table_args__ = (
        UniqueConstraint("number", name="uq_phone_numbers_number"),
        CheckConstraint("ring_timeout BETWEEN 1 AND 600", name="ck_phone_numbers_ring_timeout"),
        CheckConstraint("fallback_employee_id IS NULL OR fallback_phone IS NULL",
                        name="ck_phone_numbers_one_fallback"),
    )

    @property
    def fallback(self) -> str | None:
        return self.fallback_employee.full_name if self.fallback_employee else self.fallback_phone
