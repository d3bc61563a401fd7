"""Call queues at run time: who waits where, and which free operator is offered whom.

Each waiting caller runs in its own call task (calls/steps/queue.py): it waits in the
queue's holding bridge with music, and the dispatcher here sends it offers as events
(`QueueOffer`: the operators to ring now), or `QueueEmpty` when nobody of the queue can
take calls any more. The dispatcher is one task for every queue of the daemon: on any
change (a caller joins or leaves, an offer ends, an operator hangs up or ends wrap-up,
registrations or the directory change) it walks each queue's callers first come, first
served, and gives each caller not yet being offered the operators the strategy picks among
those the busy board says are available, claiming them (calls/busy.py), so that one
operator is never offered two calls at once, even when two queues share them.
"""
from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from zoneinfo import ZoneInfo

from .. import log
from ..domain.queue import CallQueue, members, operators
from ..domain.queueing import Operator, Stats, pick
from ..pbx.events import Event
from ..store.queue_log import answered_today, callback_done, callback_requested, \
    callbacks_waiting

if TYPE_CHECKING:
    from .context import CallContext, Services


@dataclass
class Waiter:
    ctx: "CallContext"
    queue: CallQueue
    joined_at: float  # epoch seconds: kept on the channel so a restart keeps the order
    position: int  # 1: first in line when it joined
    offered: list[Operator] = field(default_factory=list)  # ringing now
    paused_until: float = 0.0  # loop time: no offer before (retry pause)

    @property
    def call_id(self) -> str:
        return self.ctx.call.id


class Room:
    """One queue's waiting callers and what its strategies remember."""

    def __init__(self, name: str):
        self.name = name
        self.waiting: list[Waiter] = []  # by joined_at: first come, first served
        self.last_offered: str | None = None  # rrmemory
        self.stats: dict[str, Stats] = {}  # leastrecent, fewestcalls
        self.stats_day: str | None = None  # fewestcalls counts today's calls
        self.bridge_id: str | None = None  # the holding bridge callers wait in


class QueueRooms:
    def __init__(self, services: "Services"):
        self.s = services
        self.router = None  # set by app.py: callbacks start calls of their own
        self.rooms: dict[str, Room] = {}
        self._wake = asyncio.Event()
        self._rng = random.Random()
        services.busy.on_change(self.wake)

    def room(self, name: str) -> Room:
        return self.rooms.setdefault(name, Room(name))

    def wake(self) -> None:
        self._wake.set()

    # -- callers ------------------------------------------------------------------------------

    def can_join(self, queue: CallQueue) -> str | None:
        """Why a caller cannot wait in `queue` now (None: it can)."""
        if not self.operators(queue):
            return "no operator is online and reachable"
        if queue.max_callers and len(self.room(queue.name).waiting) >= queue.max_callers:
            return f"{queue.max_callers} callers are waiting already"
        return None

    def join(self, ctx: "CallContext", queue: CallQueue,
             joined_at: float | None = None) -> Waiter:
        """A caller starts waiting; `joined_at` (a restart) keeps their place in line."""
        at = time.time() if joined_at is None else joined_at
        position = 1 + sum(w.joined_at <= at for w in self.room(queue.name).waiting)
        waiter = Waiter(ctx, queue, at, position)
        self._insert(waiter)
        return waiter

    def leave(self, waiter: Waiter) -> None:
        self.remove(waiter)
        self.offer_ended(waiter)

    def remove(self, waiter: Waiter) -> None:
        room = self.room(waiter.queue.name)
        if waiter in room.waiting:
            room.waiting.remove(waiter)

    async def callback(self, waiter: Waiter) -> None:
        """The caller of `waiter` asked to be called back: a callback takes their place in
        line (kept in the database, so a restart does not lose it)."""
        from .callback import CallbackWaiter
        call = waiter.ctx.call
        cb = await asyncio.to_thread(
            callback_requested, self.s.call_log.sessions, waiter.queue.name,
            call.caller_number, call.dialled, call.id, waiter.joined_at)
        self._insert(CallbackWaiter(self, waiter.queue, cb, waiter.position))

    async def load_callbacks(self) -> None:
        """At start: the callbacks still to make, back in line at their places."""
        from .callback import CallbackWaiter
        for cb in await asyncio.to_thread(callbacks_waiting, self.s.call_log.sessions):
            queue = self.s.catalog().queues.get(cb.queue)
            if queue is None:
                await asyncio.to_thread(callback_done, self.s.call_log.sessions, cb.id,
                                        "failed", "the queue no longer exists")
                continue
            self._insert(CallbackWaiter(self, queue, cb, 0))

    def _insert(self, waiter: Waiter) -> None:
        room = self.room(waiter.queue.name)
        room.waiting.insert(sum(w.joined_at <= waiter.joined_at for w in room.waiting),
                            waiter)
        self.wake()

    def offer_ended(self, waiter: Waiter, answered_by: str | None = None) -> None:
        """The operators offered to `waiter` are free again (but the one who answered)."""
        room = self.room(waiter.queue.name)
        for op in waiter.offered:
            if op.party != answered_by:
                self.s.busy.unclaim(op.party, waiter.call_id)
        waiter.offered = []
        if answered_by is not None:
            self.remove(waiter)  # taken: out of line before anyone is offered to it again
            stats = room.stats.get(answered_by, Stats())
            room.stats[answered_by] = Stats(stats.last_ended, stats.answered_today + 1)
        elif waiter.queue.retry_seconds and waiter in room.waiting:
            loop = asyncio.get_running_loop()
            waiter.paused_until = loop.time() + waiter.queue.retry_seconds
            loop.call_later(waiter.queue.retry_seconds, self.wake)
        self.wake()

    def call_ended(self, queue: str, party: str) -> None:
        """An operator's call from `queue` ended: leastrecent counts from now."""
        room = self.room(queue)
        stats = room.stats.get(party, Stats())
        room.stats[party] = Stats(time.time(), stats.answered_today)

    def operators(self, queue: CallQueue) -> list[Operator]:
        catalog = self.s.catalog()
        return operators(queue, catalog.directory, self.s.presence())

    # -- the dispatcher -----------------------------------------------------------------------

    async def run(self) -> None:
        """Forever: on every change, offer free operators to waiting callers."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                self.dispatch()
            except Exception as exc:  # a bad queue must not stop the others' callers
                log.event("queue.dispatch_failed", logging.ERROR, error=repr(exc))

    def dispatch(self) -> None:
        now = asyncio.get_running_loop().time()
        for room in self.rooms.values():
            if not room.waiting:
                continue
            queue = room.waiting[0].queue
            everyone = self.operators(queue)
            if not everyone:  # nobody of the queue can take calls: callers go on
                for waiter in list(room.waiting):
                    waiter.ctx.deliver(Event(type="QueueEmpty", raw={"queue": room.name}))
                continue
            self._fewestcalls_day(room)
            for waiter in room.waiting:
                if waiter.offered or waiter.paused_until > now:
                    continue
                free = [o for o in everyone if self.s.busy.available(o.party)]
                chosen = pick(queue.strategy, free, everyone, last_offered=room.last_offered,
                              stats=room.stats, rng=self._rng)
                if not chosen:
                    break  # nobody free: later callers cannot be offered anyone either
                for op in chosen:
                    self.s.busy.claim(op.party, waiter.call_id)
                waiter.offered = chosen
                room.last_offered = chosen[-1].party
                waiter.ctx.deliver(Event(type="QueueOffer", raw={"operators": chosen}))

    def _fewestcalls_day(self, room: Room) -> None:
        """Answered counts are today's: a new day starts them again."""
        today = _today(self.s.timezone)
        if room.stats_day != today:
            room.stats = {party: Stats(s.last_ended, 0) for party, s in room.stats.items()}
            room.stats_day = today

    async def seed(self, queue: CallQueue) -> None:
        """Today's answered counts from the call log, once per queue and day: a restarted
        daemon stays fair (fewestcalls)."""
        room = self.room(queue.name)
        today = _today(self.s.timezone)
        if room.stats_day == today:
            return
        midnight = datetime.now(ZoneInfo(self.s.timezone)).replace(
            hour=0, minute=0, second=0, microsecond=0)
        counts = await asyncio.to_thread(answered_today, self.s.call_log.sessions,
                                         queue.name, midnight)
        room.stats = {party: Stats(room.stats.get(party, Stats()).last_ended, n)
                      for party, n in counts.items()}
        room.stats_day = today

    # -- status -------------------------------------------------------------------------------

    def status(self, queue: CallQueue) -> dict:
        """Who waits and for how long, each operator's state (free / ringing / on_call /
        wrapup / offline), for `queues status` and the API."""
        now = time.time()
        room = self.room(queue.name)
        reachable = {o.party for o in self.operators(queue)}
        parties = members(queue, self.s.catalog().directory)
        return {
            "queue": queue.name, "strategy": queue.strategy,
            "waiting": [{"call": w.call_id, "caller": w.ctx.call.caller_number,
                         "position": i, "waiting_seconds": round(now - w.joined_at, 1),
                         "offered": [o.party for o in w.offered]}
                        for i, w in enumerate(room.waiting, 1)],
            "operators": [{"operator": p, "state": self.s.busy.state(p)
                           if p in reachable else "offline"} for p in parties]}



def _today(tz: str) -> str:
    return datetime.now(ZoneInfo(tz)).strftime("%Y-%m-%d")
