"""Routes ARI events to the call that owns the channel, starts calls, and reconciles with
Asterisk after every (re)connect: Asterisk does not replay what the daemon missed."""
from __future__ import annotations

import asyncio
import logging

from .. import log
from ..pbx.events import Event, synthetic_destroyed
from .session import CallSession, Services

CALL_KINDS = ("inbound", "internal")
LEG_PREFIX = "callctl-"  # ids of the channels and bridges this daemon creates


class Router:
    def __init__(self, services: Services, app: str):
        self.s, self.app = services, app
        self._owner: dict[str, CallSession] = {}
        self.sessions: set[CallSession] = set()
        self._tasks: set[asyncio.Task] = set()

    # -- ownership ----------------------------------------------------------------------------

    def own(self, channel_id: str, session: CallSession) -> None:
        self._owner[channel_id] = session

    def disown(self, channel_id: str) -> None:
        self._owner.pop(channel_id, None)

    def forget(self, session: CallSession) -> None:
        self.sessions.discard(session)
        for channel_id in [c for c, s in self._owner.items() if s is session]:
            del self._owner[channel_id]

    # -- events -----------------------------------------------------------------------------

    def dispatch(self, ev: Event) -> None:
        """Never blocks: an event is queued for its call, or starts one."""
        session = self._owner.get(ev.channel_id)
        if session is not None:
            session.deliver(ev)
        elif ev.type == "StasisStart":
            if ev.args and ev.args[0] in CALL_KINDS and len(ev.args) > 1:
                self.start(CallSession(self.s, self, ev.channel, ev.args[0], ev.args[1]))
            elif ev.channel_id and ev.channel_id.startswith(LEG_PREFIX):
                # A leg answered after its call ended: nobody is waiting for it.
                self._spawn(self.s.ari.hangup(ev.channel_id))
            else:
                log.event("call.unexpected", logging.WARNING, channel=ev.channel_id,
                          args=",".join(ev.args))
                self._spawn(self.s.ari.hangup(ev.channel_id))

    def start(self, session: CallSession, runner=None) -> None:
        self.sessions.add(session)
        self.own(session.caller, session)
        session.task = self._spawn(runner if runner is not None else session.run())

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.event("task.crashed", logging.ERROR, error=repr(task.exception()))

    # -- reconcile --------------------------------------------------------------------------

    async def reconcile(self) -> None:
        """Make the daemon's view match Asterisk's after a (re)connect."""
        channels = {c["id"]: c for c in await self.s.ari.channels()}
        bridges = await self.s.ari.bridges()
        # Calls this process still runs: tell them about channels that vanished meanwhile.
        for channel_id, session in list(self._owner.items()):
            if channel_id not in channels:
                session.deliver(synthetic_destroyed(channel_id))
        seen: set[str] = set()
        for bridge in bridges:
            if not bridge["id"].startswith(LEG_PREFIX):
                continue
            members = [channels[c] for c in bridge.get("channels", []) if c in channels]
            seen.update(c["id"] for c in members)
            if any(c["id"] in self._owner for c in members):
                continue
            call_id = bridge["id"][len(LEG_PREFIX):]
            caller = next((c for c in members if c["id"] == call_id), None)
            legs = [c for c in members if c["id"] != call_id]
            if caller is not None and len(legs) == 1:
                args = _stasis_args(caller, self.app) or (
                    "inbound", (caller.get("dialplan") or {}).get("exten", ""))
                session = CallSession(self.s, self, caller, *args)
                self.own(legs[0]["id"], session)
                self.start(session, session.run_adopted(legs[0]))
            else:  # half a call: nothing to carry on; the waiting caller is resumed below
                for c in legs:
                    self._spawn(self.s.ari.hangup(c["id"]))
                self._spawn(self.s.ari.destroy_bridge(bridge["id"]))
                seen.difference_update(c["id"] for c in members if c is caller)
        for channel_id, channel in channels.items():
            if channel_id in self._owner or channel_id in seen:
                continue
            args = _stasis_args(channel, self.app)
            if args is not None:  # a caller still waiting in our app: ring again
                self.start(CallSession(self.s, self, channel, *args, resumed=True))
            elif channel_id.startswith(LEG_PREFIX):  # a leg whose call is gone
                self._spawn(self.s.ari.hangup(channel_id))
        log.event("ari.reconciled", channels=len(channels), calls=len(self.sessions))

    async def stop(self) -> None:
        await asyncio.gather(*(s.stop() for s in list(self.sessions)))


def _stasis_args(channel: dict, app: str) -> tuple[str, str] | None:
    """('inbound', '+15550100') for a channel sitting in Stasis(callctl,inbound,+15550100)."""
    plan = channel.get("dialplan") or {}
    if plan.get("app_name") != "Stasis":
        return None
    parts = (plan.get("app_data") or "").split(",")
    if len(parts) >= 3 and parts[0] == app and parts[1] in CALL_KINDS:
        return parts[1], parts[2]
    return None
