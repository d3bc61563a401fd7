"""Uploaded prompts: the converted audio itself lives in the database, so a backup of the
database is a backup of everything (and no daemon needs a disk shared with another).

Only `callctl.prompts.service` writes it. `sha256` (of the stored wav) is the prompt's
version: it names the audio in the URL Asterisk fetches, so a replaced prompt has a new
URL and Asterisk's media cache can never serve the old audio.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base


class StoredPrompt(Base):
    __tablename__ = "prompts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    name_key: Mapped[str] = mapped_column(String(128))  # case-folded: one name, any case
    wav: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # 8 kHz mono 16-bit
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)  # bytes of `wav`
    seconds: Mapped[float] = mapped_column(Float)
    original_filename: Mapped[str] = mapped_column(String(255))
    original_format: Mapped[str] = mapped_column(String(8))  # wav | mp3
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("name_key", name="uq_prompts_name_key"),)
