"""Forwarding scheme tables: a scheme as its YAML-shaped document, and which company number
is served by which scheme.

Only `callctl.schemes.service` writes them. The document is the `scheme_to_dict` form, so
what an admin wrote, what the API returns and what is stored are one shape; it is parsed
and validated by the domain code, not by columns.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import Base


class StoredScheme(Base):
    __tablename__ = "schemes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # copied out of the document for listings
    document: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    assignments: Mapped[list[SchemeAssignment]] = relationship(
        back_populates="scheme", order_by="SchemeAssignment.number")

    __table_args__ = (
        UniqueConstraint("name", name="uq_schemes_name"),
        CheckConstraint("kind IN ('sequential', 'parallel')", name="ck_schemes_kind"),
    )


class SchemeAssignment(Base):
    """A company number points at one scheme at most (unique number); a scheme serves many.
    Deleting the number drops its assignment; a scheme cannot go while it is assigned."""
    __tablename__ = "scheme_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(
        String(24), ForeignKey("phone_numbers.number", ondelete="CASCADE",
                               name="fk_scheme_assignments_number"))
    scheme_id: Mapped[int] = mapped_column(
        ForeignKey("schemes.id", ondelete="RESTRICT", name="fk_scheme_assignments_scheme"),
        index=True)

    scheme: Mapped[StoredScheme] = relationship(back_populates="assignments")

    __table_args__ = (UniqueConstraint("number", name="uq_scheme_assignments_number"),)
