"""Who is on a call now, shared by every call of this daemon.

A party (an employee, or "sip:LOGIN" for an account nobody owns) is busy from the moment
they answer, or dial out, until that call ends. Planning skips busy people like offline
ones; when someone answers, the other calls still ringing them are told at once
(a `PartyBusy` event for each such leg), so those calls move on instead of ringing a
phone that is taken until their timeout. The queue issue's operator state builds on the
same board.

Kept behind engage/release/ringing/snapshot so that a shared store (PostgreSQL, for several
daemons) can replace this in-memory board later: engage would become a claim.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Callable

from ..pbx.events import Event

Notify = Callable[[Event], None]


class BusyBoard:
    def __init__(self):
        self._calls: dict[str, set[str]] = defaultdict(set)  # party -> call ids
        self._ringing: dict[str, dict[str, tuple[str, Notify]]] = defaultdict(dict)
        self._snapshot: frozenset[str] = frozenset()

    def snapshot(self) -> frozenset[str]:
        return self._snapshot

    def busy(self, party: str) -> bool:
        return bool(self._calls.get(party))

    def engage(self, party: str, call_id: str) -> None:
        """`party` is now on `call_id`: other calls ringing them are told."""
        self._calls[party].add(call_id)
        self._snapshot = frozenset(self._calls)
        for channel_id, (other_call, notify) in list(self._ringing.get(party, {}).items()):
            if other_call != call_id:
                notify(Event(type="PartyBusy", channel_id=channel_id,
                             raw={"party": party}))

    def release(self, party: str, call_id: str) -> None:
        calls = self._calls.get(party)
        if calls is not None:
            calls.discard(call_id)
            if not calls:
                del self._calls[party]
                self._snapshot = frozenset(self._calls)

    def ringing(self, party: str, channel_id: str, call_id: str, notify: Notify) -> None:
        self._ringing[party][channel_id] = (call_id, notify)

    def stopped_ringing(self, party: str, channel_id: str) -> None:
        legs = self._ringing.get(party)
        if legs is not None:
            legs.pop(channel_id, None)
            if not legs:
                del self._ringing[party]
