"""Timestamps as the call tables keep them: every one in UTC."""
from __future__ import annotations

from datetime import datetime, timezone


def as_utc(at: datetime) -> datetime:
    # SQLite stores the wall time without the offset: normalise, so every row is in UTC.
    # Naive values (as SQLite hands them back) are UTC already.
    return at.astimezone(timezone.utc) if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)


def seconds_between(start: datetime, end: datetime) -> float:
    # SQLite hands back naive datetimes; every timestamp we store is UTC.
    if start.tzinfo is None and end.tzinfo is not None:
        end = end.astimezone(timezone.utc).replace(tzinfo=None)
    return round((end - start).total_seconds(), 3)
