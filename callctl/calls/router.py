"""Routes ARI events to the call that owns what they concern (a channel, a playback, a
recording, a bridge) and starts a call for every new caller in the app."""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from .. import log
from ..pbx.events import Event
from .context import LEG_PREFIX, Services
from .session import CallSession

CALL_KINDS = ("inbound", "internal")
# Channels that left Stasis lately, remembered for `left`: a call asks within milliseconds
# of its people leaving, so 512 (256 calls' hang-ups) is seconds of margin even under
# load; one forgotten costs its call 0.5 s (LEGS_GONE_S) and a bridge destroyed, not
# kept. 4,096 held about 1 MB more RSS for it (the soak).
LEFT_MEMORY = 512


class Router:
    def __init__(self, services: Services, app: str):
        self.s, self.app = services, app
        self._owner: dict[str, object] = {}  # channel / playback / recording / bridge id
        self.sessions: set[CallSession] = set()
        self._tasks: set[asyncio.Task] = set()
        self._destroyed: dict[str, asyncio.Future] = {}  # channel id -> its end, awaited
        self._leaving: dict[str, asyncio.Future] = {}  # channel id -> its StasisEnd, awaited
        self._left: OrderedDict[str, None] = OrderedDict()  # the last StasisEnds, in order

    # -- ownership ----------------------------------------------------------------------------

    def own(self, key: str, owner) -> None:
        """Events about `key` go to `owner` (anything with .deliver(event))."""
        self._owner[key] = owner

    def disown(self, key: str) -> None:
        self._owner.pop(key, None)

    def owner(self, key: str):
        return self._owner.get(key)

    def destroyed(self, channel_ids) -> list[asyncio.Future]:
        """Futures done when each channel is destroyed (ask before hanging it up)."""
        loop = asyncio.get_running_loop()
        return [self._destroyed.setdefault(c, loop.create_future()) for c in channel_ids]

    def forget_destroyed(self, channel_ids) -> None:
        for c in channel_ids:
            self._destroyed.pop(c, None)

    def left(self, channel_ids) -> list[asyncio.Future]:
        """Futures done when each channel has left Stasis (and with it any bridge), at once
        for those that left lately; `forget_left` them once awaited."""
        loop, out = asyncio.get_running_loop(), []
        for c in channel_ids:
            future = self._leaving.setdefault(c, loop.create_future())
            if c in self._left and not future.done():
                future.set_result(None)
            out.append(future)
        return out

    def forget_left(self, channel_ids) -> None:
        for c in channel_ids:
            self._leaving.pop(c, None)

    def forget(self, session: CallSession) -> None:
        self.sessions.discard(session)
        for key in [k for k, owner in self._owner.items()
                    if owner is session or owner is session.ctx]:
            del self._owner[key]

    # -- events -----------------------------------------------------------------------------

    def dispatch(self, ev: Event) -> None:
        """Never blocks: an event is queued for its call, or starts one."""
        if ev.type == "ChannelDestroyed" and ev.channel_id in self._destroyed:
            self._destroyed.pop(ev.channel_id).set_result(None)
        elif ev.type == "StasisEnd" and ev.channel_id:
            self._ended(ev.channel_id)
        for key in (ev.playback_id, ev.recording, ev.channel_id, ev.bridge_id):
            owner = self._owner.get(key) if key else None
            if owner is not None:
                owner.deliver(ev)
                return
        if ev.type != "StasisStart":
            return
        if ev.args and ev.args[0] in CALL_KINDS and len(ev.args) > 1:
            self.start(CallSession(self.s, self, ev.channel, ev.args[0], ev.args[1],
                                   ringing="ringing" in ev.args[2:]))
        elif ev.channel_id and ev.channel_id.startswith(LEG_PREFIX):
            # A leg answered after its call ended: nobody is waiting for it.
            self.spawn(self.s.ari.hangup(ev.channel_id))
        else:
            log.event("call.unexpected", logging.WARNING, channel=ev.channel_id,
                      args=",".join(ev.args))
            self.spawn(self.s.ari.hangup(ev.channel_id))

    def _ended(self, channel_id: str) -> None:
        self._left[channel_id] = None
        if len(self._left) > LEFT_MEMORY:
            self._left.popitem(last=False)
        future = self._leaving.get(channel_id)
        if future is not None and not future.done():
            future.set_result(None)

    def start(self, session: CallSession, runner=None) -> None:
        self.sessions.add(session)
        self.own(session.caller, session.ctx)
        session.task = self.spawn(runner if runner is not None else session.run())

    def spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.event("task.crashed", logging.ERROR, error=repr(task.exception()))

    async def stop(self) -> None:
        await asyncio.gather(*(s.stop() for s in list(self.sessions)))
