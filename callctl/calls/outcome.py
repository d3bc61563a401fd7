"""How a step ends, and how a call ends."""
from __future__ import annotations

from dataclasses import dataclass

from .model import Leg


class CallerGone(Exception):
    """The caller hung up: every step stops where it is."""


@dataclass(frozen=True)
class Outcome:
    kind: str  # "answered" | "next" | "hangup"
    outcome: str = ""  # with "hangup": the call log's outcome (missed, voicemail, ...)
    leg: Leg | None = None  # with "answered": who took the call
    detail: str | None = None


NEXT = Outcome("next")


def answered(leg: Leg) -> Outcome:
    return Outcome("answered", "answered", leg)


def hangup(outcome: str, detail: str | None = None) -> Outcome:
    return Outcome("hangup", outcome, detail=detail)
