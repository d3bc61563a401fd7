"""A call's parties and bridges over its life: plain data, no I/O.

The caller's channel is the call's id. Legs are the channels the call originates (a person
rung, later a consultation); bridges are what legs join and leave (a transfer or a queue
moves a caller from one to another). The session and its steps keep this up to date; the
reconcile after a restart rebuilds it from what Asterisk still has.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..domain.flow import Target


@dataclass
class Leg:
    channel_id: str
    role: str  # "caller" | "callee" | "consult"
    target: Target | None = None  # what was dialled; None for the caller
    dial: str = ""  # the Asterisk dial string, for the call log
    state: str = "ringing"  # "ringing" | "up" | "gone"
    party: str | None = None  # who is busy while this leg talks (see busy.py)

    def __post_init__(self):
        if self.party is None and self.target is not None:
            self.party = self.target.party

    @property
    def employee(self) -> str | None:
        return self.target.employee if self.target is not None else None


@dataclass
class Bridge:
    id: str
    kind: str = "mixing"  # "mixing" (people talk) | "holding" (callers wait)
    members: set[str] = field(default_factory=set)


@dataclass
class Call:
    id: str
    kind: str  # "inbound" | "internal"
    dialled: str
    caller_number: str
    caller_name: str = ""
    caller_login: str = ""  # the staff SIP account that dialled (internal calls)
    legs: dict[str, Leg] = field(default_factory=dict)  # by channel id
    bridges: dict[str, Bridge] = field(default_factory=dict)
    answered: Leg | None = None
    route: list[str] = field(default_factory=list)  # menu choices etc., for the call log
    direction: str | None = None  # "outgoing" once an outside number is dialled
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def ringing(self) -> list[Leg]:
        return [leg for leg in self.legs.values() if leg.state == "ringing"]

    def live(self) -> list[Leg]:
        return [leg for leg in self.legs.values() if leg.state != "gone"]
