"""What a call does, step by step: plain data the planner produces and the engine runs.

A plan is a sequence of steps. Each step kind has one runner in `calls/steps/` and ends as
answered (a person took the call), next (go on with the following step) or hangup (the call
is over: a message was left, the caller chose to end it). There are no Asterisk strings
here: a Target says *what* rings, `pbx/dial.py` renders it for Asterisk.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from .ivr import IvrMenu
    from .queue import CallQueue
    from .voicemail import VoicemailBox

# Q.850 causes a call can end with when nobody takes it; the channel driver turns them into
# the SIP status the caller's carrier sees (1 -> 404 Not Found, 19 -> 480 Unavailable).
UNALLOCATED = 1
NO_ANSWER = 19


@dataclass(frozen=True)
class Target:
    """One thing that rings: a staff SIP account, a number through the trunk, or another
    PBX's SIP URI; `employee` is whose it is, for the call log and busy tracking."""
    kind: str  # "sip" | "phone" | "uri"
    address: str
    employee: str | None = None

    def __str__(self) -> str:
        return f"{_TARGET_LABELS[self.kind]} {self.address}"

    @property
    def party(self) -> str:
        """Who is busy while this target talks: the employee, else the account/number."""
        return self.employee or f"{self.kind}:{self.address}"


_TARGET_LABELS = {"sip": "SIP", "phone": "phone", "uri": "URI"}


@dataclass(frozen=True)
class Prompt:
    """A recording to play. `source`: "upload" (a prompt uploaded to callctl), "default"
    (callctl's own sounds/), "asterisk" (a sound that ships with Asterisk), "media" (an
    Asterisk media URI made at run time, e.g. number:3 for a position in line)."""
    name: str
    source: str = "upload"

    def __str__(self) -> str:
        return self.name if self.source == "upload" else f"{self.source} {self.name!r}"


@dataclass(frozen=True)
class Ring:
    """These targets ring together until one answers or `timeout` seconds pass."""
    targets: tuple[Target, ...]
    timeout: int


@dataclass(frozen=True)
class Menu:
    """An IVR menu. `timeout` is the block's budget: the menu and whatever a choice rings
    must be answered within it, else the call goes on with the next step."""
    menu: "IvrMenu"
    timeout: int
    off_hours: bool = False  # the branch's kind: picks default greetings of voicemail choices


@dataclass(frozen=True)
class Voicemail:
    """Greeting, beep, a recorded message; the call then ends as `voicemail`."""
    box: "VoicemailBox"
    greeting: Prompt


@dataclass(frozen=True)
class Queue:
    """Wait in a call queue for an operator; `timeout` is the block's budget (the queue's
    own max_wait applies too: the shorter wins), then the call goes on."""
    queue: "CallQueue"
    timeout: int


@dataclass(frozen=True)
class Announce:
    """A prompt. With `cause` it is played as early media (the call is not answered, so not
    billed) and the call ends with that cause; without, the call goes on afterwards."""
    prompt: Prompt
    cause: int | None = None
    outcome: str = "missed"  # what the call log says when the call ends here


Step = Union[Ring, Menu, Voicemail, Queue, Announce]

NOBODY_AVAILABLE = Announce(Prompt("vm-nobodyavail", "asterisk"), NO_ANSWER, "missed")
NOT_IN_SERVICE = Announce(Prompt("ss-noservice", "asterisk"), UNALLOCATED, "not_in_service")
