"""Queue callbacks: a caller who asked to be called back keeps their place in line; when it
comes up the offered operator is rung first, and once they answer, the caller's number is
dialled through the trunk (showing the number the caller had rung) and the two are bridged.

A callback is made at most once: it is marked dialled before the caller's number is
dialled, so neither a restart nor a second offer can call the customer twice; callbacks
still waiting are put back in line, in their place, when the daemon starts.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from types import SimpleNamespace

from .. import log
from ..pbx.ari import AriError
from ..pbx.dial import dial_string
from ..pbx.events import Event
from ..store import queue_log
from .context import CALL_VAR, GONE, LEG_PREFIX, PARTY_VAR
from .queues import Waiter


class CallbackWaiter(Waiter):
    """A callback in line. It has no caller channel: its offers are rung from here."""

    def __init__(self, rooms, queue, callback: queue_log.Callback, position: int):
        self.rooms, self.callback = rooms, callback
        shim = SimpleNamespace(deliver=self._deliver, call=SimpleNamespace(
            id=f"cb{callback.id}", caller_number=callback.number))
        super().__init__(shim, queue, callback.joined_at, position)

    def _deliver(self, ev: Event) -> None:
        if ev.type == "QueueOffer":
            self.rooms.router.spawn(offer(self, ev.raw["operators"]))
        # QueueEmpty: a callback waits on; an operator will come back


async def offer(waiter: CallbackWaiter, operators) -> None:
    """Ring the offered operators; on an answer, call the customer and bridge them."""
    rooms, router, cb = waiter.rooms, waiter.rooms.router, waiter.callback
    ari = rooms.s.ari
    events: asyncio.Queue[Event] = asyncio.Queue()
    shim = SimpleNamespace(deliver=events.put_nowait)
    legs: dict[str, tuple] = {}  # channel id -> (operator, target)
    for op in operators:
        for target in op.targets:
            channel_id = f"{LEG_PREFIX}{waiter.call_id}-{uuid.uuid4().hex[:8]}"
            router.own(channel_id, shim)
            try:
                await ari.originate(dial_string(target, rooms.s.trunk), channel_id,
                                    f"dialed,{waiter.call_id}",
                                    caller_id=f'"Callback" <{cb.number}>',
                                    timeout=waiter.queue.ring_seconds + 5,
                                    variables={CALL_VAR: waiter.call_id, PARTY_VAR: op.party})
                legs[channel_id] = (op, target)
            except AriError as exc:
                router.disown(channel_id)
                log.event("queue.callback_leg_failed", logging.WARNING, queue=cb.queue,
                          error=str(exc))
    log.event("queue.callback_offer", queue=cb.queue, number=cb.number, legs=len(legs),
              operators=",".join(o.party for o in operators))
    loop = asyncio.get_running_loop()
    until, taken = loop.time() + waiter.queue.ring_seconds, None
    while legs and taken is None:
        try:
            ev = await asyncio.wait_for(events.get(), until - loop.time())
        except asyncio.TimeoutError:
            break
        if ev.channel_id in legs and ev.type == "StasisStart":
            taken = ev.channel_id
        elif ev.channel_id in legs and ev.type in GONE:
            del legs[ev.channel_id]
            router.disown(ev.channel_id)
    for channel_id in legs:
        if channel_id != taken:
            router.disown(channel_id)
            router.spawn(ari.hangup(channel_id))
    if taken is None:
        rooms.offer_ended(waiter)
        return
    op, target = legs[taken]
    # Final before the customer's phone rings: never twice, whatever happens next.
    await asyncio.to_thread(queue_log.callback_done, rooms.s.call_log.sessions, cb.id,
                            "dialled", f"by {op.party}")
    rooms.offer_ended(waiter, answered_by=op.party)
    rooms.remove(waiter)
    log.event("queue.callback", queue=cb.queue, operator=op.party, number=cb.number)
    from .session import CallSession  # the session imports the steps, which import us
    session = CallSession(rooms.s, router, {"id": taken, "name": f"PJSIP/{target.address}-cb",
                                            "caller": {"number": cb.number}},
                          "callback", cb.number)
    router.start(session, session.run_callback(cb, op.party, waiter.queue))
