"""Who is on a call, offered a queue call, or in wrap-up: one board shared by every call of
this daemon, so that every routing decision sees the same operator state.

A party (an employee, or "sip:LOGIN" for an account nobody owns) is busy from the moment
they answer, or dial out, until that call ends (then in wrap-up if it was a queue call).
Planning skips busy people like offline ones; when someone answers, the other calls still
ringing them are told at once (a `PartyBusy` event for each such leg), so those calls move
on instead of ringing a phone that is taken until their timeout. A queue offer is a claim:
a claimed party is offered no other queue call, so one operator never rings for two
queue callers at once, even when two queues share them.

Kept behind engage/release/claim/available so that a shared store (PostgreSQL rows claimed
with SELECT ... FOR UPDATE SKIP LOCKED, for several daemons) can replace this in-memory
board later without touching its callers.
"""
from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Callable

from ..pbx.events import Event

Notify = Callable[[Event], None]


class BusyBoard:
    def __init__(self):
        self._calls: dict[str, set[str]] = defaultdict(set)  # party -> call ids
        self._ringing: dict[str, dict[str, tuple[str, Notify]]] = defaultdict(dict)
        self._claims: dict[str, str] = {}  # party -> the queue call they are offered
        self._wrapup: dict[str, float] = {}  # party -> loop time their wrap-up ends
        self._snapshot: frozenset[str] = frozenset()
        self._listeners: list[Callable[[], None]] = []
        self._watchers: list[Callable[[], None]] = []

    # -- reading --------------------------------------------------------------------------------

    def snapshot(self) -> frozenset[str]:
        """Parties on a call now (planning skips them)."""
        return self._snapshot

    def busy(self, party: str) -> bool:
        return bool(self._calls.get(party))

    def available(self, party: str) -> bool:
        """Can be offered a queue call: not on a call, not offered one, not in wrap-up."""
        return not self.busy(party) and party not in self._claims and \
            self._wrapup.get(party, 0) <= asyncio.get_running_loop().time()

    def state(self, party: str) -> str:
        """free | ringing | on_call | wrapup (for `queues status`)."""
        if self.busy(party):
            return "on_call"
        if party in self._claims:
            return "ringing"
        if self._wrapup.get(party, 0) > asyncio.get_running_loop().time():
            return "wrapup"
        return "free"

    def on_change(self, listener: Callable[[], None]) -> None:
        """`listener()` runs whenever someone may have become available."""
        self._listeners.append(listener)

    def watch(self, listener: Callable[[], None]) -> None:
        """`listener()` runs whenever someone goes on or off a call, whatever the call event
        (a transfer's recipient answering included): pages showing who is on a call."""
        self._watchers.append(listener)

    # -- calls ----------------------------------------------------------------------------------

    def engage(self, party: str, call_id: str) -> None:
        """`party` is now on `call_id`: other calls ringing them are told."""
        newly = not self._calls.get(party)
        self._calls[party].add(call_id)
        self._claims.pop(party, None)
        self._snapshot = frozenset(self._calls)
        for channel_id, (other_call, notify) in list(self._ringing.get(party, {}).items()):
            if other_call != call_id:
                notify(Event(type="PartyBusy", channel_id=channel_id,
                             raw={"party": party}))
        if newly:
            self._told()

    def release(self, party: str, call_id: str, wrapup: float = 0) -> None:
        """`call_id` ended for `party`; a queue call leaves them `wrapup` seconds of rest."""
        calls = self._calls.get(party)
        if calls is None:
            return
        calls.discard(call_id)
        if not calls:
            del self._calls[party]
            self._snapshot = frozenset(self._calls)
            self._told()
        if wrapup > 0:
            loop = asyncio.get_running_loop()
            self._wrapup[party] = loop.time() + wrapup
            loop.call_later(wrapup, self._changed)
        self._changed()

    # -- queue offers ---------------------------------------------------------------------------

    def claim(self, party: str, call_id: str) -> bool:
        """Reserve `party` for an offer of `call_id`; False when they are not available."""
        if not self.available(party):
            return False
        self._claims[party] = call_id
        return True

    def unclaim(self, party: str, call_id: str) -> None:
        if self._claims.get(party) == call_id:
            del self._claims[party]
            self._changed()

    # -- legs that ring -------------------------------------------------------------------------

    def ringing(self, party: str, channel_id: str, call_id: str, notify: Notify) -> None:
        self._ringing[party][channel_id] = (call_id, notify)

    def stopped_ringing(self, party: str, channel_id: str) -> None:
        legs = self._ringing.get(party)
        if legs is not None:
            legs.pop(channel_id, None)
            if not legs:
                del self._ringing[party]

    def _told(self) -> None:
        for watcher in self._watchers:
            watcher()

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()
