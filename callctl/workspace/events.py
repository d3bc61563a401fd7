"""The workspace's live events: the call engine tells the hub what happens (one line per
event, see calls/), and the hub pushes it to the signed-in pages that may hear of it
(domain/workspace.py `hears_of`) over Server-Sent Events (api/workspace.py).

Events (each a JSON object with `type`):
- `incoming`: a call came in or was dialled (managers and admins see the queue build up);
- `ringing`: a person's phone rings; carries the caller's client card and history (the
  screen pop), looked up off the event loop, a new card made for a new caller;
- `answered`, `ended` (with the outcome: a missed call is `ended` with `missed`);
- `colleague`: someone's availability changed (offline, on a call, reachable...), to all;
- `department`: how many of a department's people are available changed, to all.

Never in the call's way: publishing only puts into bounded queues, and a page that does
not keep up is dropped (its EventSource reconnects and reloads what it shows).
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Callable

from .. import log
from ..domain.workspace import colleagues, departments, hears_of
from ..store.api_tokens import Principal

QUEUE_LIMIT = 256  # events a page may lag behind before it is dropped


class NoEvents:
    """No workspace: the engine's lines cost nothing."""

    def call_started(self, call) -> None: ...
    def ringing(self, call, leg) -> None: ...
    def answered(self, call, leg) -> None: ...
    def ended(self, call, outcome: str) -> None: ...


class Subscription:
    """One page's stream; None in the queue ends it."""

    def __init__(self, who: Principal):
        self.who = who
        self.queue: asyncio.Queue[dict | None] = asyncio.Queue(QUEUE_LIMIT + 1)

    def put(self, event: dict) -> bool:
        """False (and the stream ended) when the page is too far behind."""
        if self.queue.qsize() >= QUEUE_LIMIT:
            self.end()
            return False
        self.queue.put_nowait(event)
        return True

    def end(self) -> None:
        try:
            self.queue.put_nowait(None)  # the one slot past the limit is kept for this
        except asyncio.QueueFull:
            pass  # already ended


class EventHub(NoEvents):
    def __init__(self, catalog: Callable, presence: Callable,
                 screen_pop: Callable[[str], dict | None] | None = None):
        """`catalog()`, `presence()`: the daemon's now; `screen_pop(number, call id)`: the
        caller's card and history (blocking: run in a thread), None for an anonymous
        caller."""
        self.catalog, self.presence, self.screen_pop = catalog, presence, screen_pop
        self._subs: set[Subscription] = set()
        self._shown: dict[tuple, dict] = {}  # (kind, name) -> what pages were last told
        self._tasks: set[asyncio.Task] = set()

    # -- pages ------------------------------------------------------------------------------

    def subscribe(self, who: Principal) -> Subscription:
        if not self._subs:  # the first page: what it loads now is what pages were told
            self._shown = {(kind, view["name"]): view for kind, views in self._views()
                           for view in views}
        sub = Subscription(who)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    def colleagues(self) -> list[dict]:
        return colleagues(self.catalog().directory, self.presence())

    def departments(self) -> list[dict]:
        return departments(self.catalog().directory, self.presence())

    def publish(self, event: dict, parties: frozenset[str] | None) -> None:
        """To every page whose employee hears of `parties` (None: to all)."""
        directory = self.catalog().directory
        for sub in list(self._subs):
            who = sub.who
            if parties is not None and not hears_of(who.level, who.employee, parties,
                                                    directory):
                continue
            if not sub.put(event):  # too far behind: its stream ends, the page reconnects
                self._subs.discard(sub)

    def close(self) -> None:
        """The daemon stops: every stream ends."""
        for sub in self._subs:
            sub.end()
        self._subs.clear()
        for task in self._tasks:
            task.cancel()

    def listened(self, parties: frozenset[str] | None = None) -> bool:
        """Whether a page is open that would hear of `parties` (None: any page). With none,
        events cost nothing: no views built, no card looked up (no one would see them)."""
        if parties is None or not self._subs:
            return bool(self._subs)
        directory = self.catalog().directory
        return any(hears_of(sub.who.level, sub.who.employee, parties, directory)
                   for sub in self._subs)

    def on_calls_changed(self) -> None:
        """Someone went on or off a call (the busy board's watcher): pages are told; a
        page's trouble never reaches the call that moved them."""
        try:
            self.refresh()
        except Exception as exc:
            log.event("workspace.publish_failed", logging.WARNING, error=repr(exc))

    def _views(self) -> list[tuple[str, list[dict]]]:
        return [("colleague", self.colleagues()), ("department", self.departments())]

    def refresh(self) -> None:
        """Tell pages of colleagues and departments whose availability changed (after
        registrations, the directory, or any call event)."""
        if not self._subs:
            return  # the first page to open sets what was told (subscribe)
        for kind, views in self._views():
            for view in views:
                if self._shown.get((kind, view["name"])) != view:
                    self._shown[kind, view["name"]] = view
                    self.publish({"type": kind, **view}, None)

    # -- the call engine ----------------------------------------------------------------------

    def call_started(self, call) -> None:
        self._call("incoming", call, _owner(self, call))

    def ringing(self, call, leg) -> None:
        if leg.employee is None:
            return
        parties = frozenset({leg.employee})
        if not self.listened(parties):
            return
        event = _call_event("ringing", call, employee=leg.employee)
        if self.screen_pop is None or call.kind != "inbound":
            self.publish(event, parties)
            return
        task = asyncio.get_running_loop().create_task(self._pop(event, call, parties))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def answered(self, call, leg) -> None:
        self._call("answered", call, _parties(self, call), employee=leg.employee)

    def ended(self, call, outcome: str) -> None:
        answered = call.answered.employee if call.answered is not None else None
        self._call("ended", call, _parties(self, call), outcome=outcome, employee=answered)

    def _call(self, kind: str, call, parties: frozenset[str], **more) -> None:
        if not self._subs:
            return
        try:
            self.publish(_call_event(kind, call, **more), parties)
            self.refresh()
        except Exception as exc:  # a page's trouble never reaches the call
            log.event("workspace.publish_failed", logging.WARNING, error=repr(exc))

    async def _pop(self, event: dict, call, parties: frozenset[str]) -> None:
        try:
            event["card"] = await asyncio.to_thread(self.screen_pop, call.caller_number,
                                                    call.id)
        except Exception as exc:  # the pop goes out without a card
            log.event("workspace.card_failed", logging.WARNING, call=event["call_id"],
                      error=repr(exc))
        self.publish(event, parties)
        log.event("workspace.screen_pop", call=event["call_id"], employee=event["employee"],
                  card=(event.get("card") or {}).get("id"))


def _call_event(kind: str, call, **more) -> dict:
    return {"type": kind, "call_id": call.id, "direction": call.direction or call.kind,
            "caller": call.caller_number, "caller_name": call.caller_name,
            "number": call.dialled, "at": datetime.now(timezone.utc).isoformat(), **more}


def _owner(hub: EventHub, call) -> frozenset[str]:
    """The employee who dialled (internal calls); none for a call from outside."""
    if call.kind != "internal":
        return frozenset()
    owner = hub.catalog().directory.by_login(call.caller_login)
    return frozenset({owner.name}) if owner else frozenset()


def _parties(hub: EventHub, call) -> frozenset[str]:
    """Everyone the call concerns: who dialled, everyone rung."""
    return _owner(hub, call) | {leg.employee for leg in call.legs.values()
                                if leg.employee is not None}
