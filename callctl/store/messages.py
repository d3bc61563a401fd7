"""Voicemail messages: the recorded audio, kept in callctl's own database (Asterisk's copy
is deleted once this one is written), so a backup of the database holds every message."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Index, LargeBinary, String, select
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from .models import Base


class VoiceMessage(Base):
    __tablename__ = "voice_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64))  # the call record it belongs to
    box: Mapped[str] = mapped_column(String(128))
    recording: Mapped[str] = mapped_column(String(128))  # Asterisk's name for it
    seconds: Mapped[float] = mapped_column(Float)
    audio: Mapped[bytes] = mapped_column(LargeBinary)  # wav, 8 kHz mono 16-bit
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # when its notifications were queued (store/notifications.py); None: not yet
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_voice_messages_call_id", "call_id"),
                      Index("uq_voice_messages_recording", "recording", unique=True))


class Messages:
    def __init__(self, sessions: sessionmaker):
        self._sessions = sessions

    def add(self, call_id: str, box: str, recording: str, seconds: float, audio: bytes,
            at: datetime) -> int:
        """Store a message; storing the same recording again keeps the first copy."""
        with self._sessions.begin() as s:
            found = s.scalar(select(VoiceMessage.id).where(VoiceMessage.recording == recording))
            if found is not None:
                return found
            row = VoiceMessage(call_id=call_id, box=box, recording=recording, seconds=seconds,
                               audio=audio, created_at=at)
            s.add(row)
            s.flush()
            return row.id

    def for_call(self, call_id: str) -> VoiceMessage | None:
        with self._sessions() as s:
            return s.scalar(select(VoiceMessage).where(VoiceMessage.call_id == call_id)
                            .order_by(VoiceMessage.id).limit(1))

    def audio(self, message_id: int) -> bytes | None:
        with self._sessions() as s:
            return s.scalar(select(VoiceMessage.audio).where(VoiceMessage.id == message_id))

    def has(self, recording: str) -> bool:
        with self._sessions() as s:
            return s.scalar(select(VoiceMessage.id)
                            .where(VoiceMessage.recording == recording)) is not None
