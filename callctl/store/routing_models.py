"""IVR menus and voicemail boxes (later: queues) as their YAML-shaped documents, and which
company numbers they serve directly.

Only `callctl.routing.service` writes them. Like schemes, the document is what an admin
wrote and what the API returns; the domain code parses and validates it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base

DOC_KINDS = ("ivr", "voicemail", "queue")


class RoutingDocument(Base):
    __tablename__ = "routing_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "ivr" | "voicemail" | "queue"
    name: Mapped[str] = mapped_column(String(128))
    document: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("kind", "name", name="uq_routing_documents_kind_name"),
        CheckConstraint("kind IN ('ivr', 'voicemail', 'queue')",
                        name="ck_routing_documents_kind"),
    )


class NumberRoute(Base):
    """A company number served by a menu, a voicemail box or a queue itself (a number
    served by a scheme is in scheme_assignments; a number has one or the other)."""
    __tablename__ = "number_routes"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(
        String(24), ForeignKey("phone_numbers.number", ondelete="CASCADE",
                               name="fk_number_routes_number"))
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(128))

    __table_args__ = (UniqueConstraint("number", name="uq_number_routes_number"),
                      CheckConstraint("kind IN ('ivr', 'voicemail', 'queue')",
                                      name="ck_number_routes_kind"))
