"""One call, one asyncio task: walks a plan, bridges the first answer, cleans up.

A session owns the caller's channel, the legs it originates and its bridge. Events for
those channels arrive in its own queue (see router.py), so a slow call never delays another.
Whatever happens, the session ends with every channel it owns hung up (or handed to the
dialplan's fallback), its bridge destroyed and its call record written.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable
from zoneinfo import ZoneInfo

from .. import log, metrics
from ..domain.plan import Block, Leg, NotInService, Plan, Trunk, plan_inbound, plan_internal
from ..domain.planner import plan_call
from ..pbx.ari import AriError, NotFound
from ..pbx.events import Event

if TYPE_CHECKING:
    from ..domain.directory import Directory, Presence
    from ..pbx.ari import Ari
    from ..store.calls import CallLog
    from .recorder import CallRecorder
    from .router import Router

GONE = frozenset({"StasisEnd", "ChannelDestroyed", "ChannelHangupRequest"})
NOT_IN_SERVICE_PROMPT = "sound:ss-noservice"
NOBODY_ANSWERED_PROMPT = "sound:vm-nobodyavail"
PROMPT_GUARD_S = 30  # a prompt that never reports its end still ends the call
STICKY_LOOKUP_S = 0.25
# Q.850 causes of a leg that stopped ringing by itself -> the call log's leg result.
LEG_RESULT_BY_CAUSE = {16: "no_answer", 17: "busy", 18: "no_answer", 19: "no_answer",
                       21: "busy"}


@dataclass
class Services:
    """What a session needs from the rest of the daemon (built in app.py)."""
    ari: "Ari"
    call_log: "CallLog"  # reads (sticky routing); writes go through the recorder
    recorder: "CallRecorder"
    directory: Callable[[], "Directory"]
    presence: Callable[[], "Presence"]
    trunk: Trunk
    fallback_context: str
    schemes: Callable[[], tuple[dict, dict]] = lambda: ({}, {})  # (by name, number -> name)
    timezone: str = "UTC"
    sticky: bool = False  # a caller who talked to someone today reaches them first


class CallerGone(Exception):
    pass


@dataclass(frozen=True)
class Uncovered:
    """No branch of the number's scheme covers this minute: the number's fallback takes it."""
    reason: str


def now() -> datetime:
    return datetime.now(timezone.utc)


class CallSession:
    def __init__(self, services: Services, router: "Router", channel: dict, kind: str,
                 dialled: str, *, resumed: bool = False):
        self.s, self.router = services, router
        self.call_id = self.caller = channel["id"]
        self.kind, self.dialled, self.resumed = kind, dialled, resumed
        caller = channel.get("caller") or {}
        self.caller_number = caller.get("number") or "anonymous"
        self.caller_name = caller.get("name") or ""
        self.caller_endpoint = _endpoint_of(channel.get("name", ""))
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self.ringing: dict[str, Leg] = {}  # channel id -> leg, while it rings
        self.answered: tuple[str, Leg] | None = None
        self.bridge_id = f"callctl-{self.call_id}"
        self._bridge: asyncio.Task | None = None
        self.phase = "new"  # new -> ringing -> talking -> ended
        self.music_on_hold = False
        self.caller_alive = True
        self.keep_up = False  # daemon stopping with the call bridged: leave it to Asterisk
        self.handoff = False  # daemon stopping before an answer: caller to the fallback
        self._db: asyncio.Future | None = None  # the last call-log write
        self.task: asyncio.Task | None = None
        self.metrics = metrics.call_started()

    # -- the call's life ---------------------------------------------------------------------

    async def run(self) -> None:
        outcome, detail = "missed", None
        try:
            self._record("started", self.call_id, self.kind, self.dialled,
                         self.caller_number, now())
            log.event("call.resumed" if self.resumed else "call.started", call=self.call_id,
                      kind=self.kind, number=self.dialled, caller=self.caller_number)
            plan = await self.plan()
            if isinstance(plan, Uncovered):
                outcome, detail, self.handoff = "fallback", plan.reason, True
                log.event("call.uncovered", call=self.call_id, number=self.dialled,
                          reason=plan.reason)
                return
            if isinstance(plan, NotInService):
                outcome, detail = "not_in_service", plan.reason
                log.event("call.not_in_service", logging.WARNING, call=self.call_id,
                          number=self.dialled, reason=plan.reason)
                await self.announce(NOT_IN_SERVICE_PROMPT)
                return
            if await self.walk(plan):
                outcome = "answered"
                await self.talk()
            else:
                detail = "nobody answered"
                log.event("call.unanswered", call=self.call_id, number=self.dialled)
                await self.announce(NOBODY_ANSWERED_PROMPT)
        except CallerGone:
            if self.answered is None:
                detail = "caller hung up while ringing"
        except asyncio.CancelledError:
            if self.handoff:
                outcome, detail = "fallback", "daemon stopped before an answer"
            elif not self.keep_up:
                raise
        finally:
            if self.answered is not None:
                outcome = "answered"
            await self._finish(outcome, detail)

    async def run_adopted(self, leg_channel: dict) -> None:
        """Carry a call that was already bridged when this daemon (re)connected."""
        leg = Leg(f"PJSIP/{_endpoint_of(leg_channel.get('name', ''))}")
        self.answered, self.phase = (leg_channel["id"], leg), "talking"
        self._bridge = asyncio.get_running_loop().create_future()
        self._bridge.set_result(None)
        log.event("call.adopted", call=self.call_id, leg=leg.dial)
        try:
            while True:
                ev = await self.next_event(None)
                if ev.channel_id == leg_channel["id"] and ev.type in GONE:
                    log.event("call.hangup", call=self.call_id, by="callee")
                    break
        except CallerGone:
            pass
        except asyncio.CancelledError:
            if not self.keep_up:
                raise
        finally:
            await self._finish("answered", None)

    async def plan(self) -> Plan | NotInService | Uncovered:
        directory, presence = self.s.directory(), self.s.presence()
        schemes, assigned = self.s.schemes()
        scheme = assigned.get(self.dialled)
        if scheme is not None:
            at = now()
            sticky = None
            if self.s.sticky and self.kind == "inbound":
                since = at.astimezone(ZoneInfo(self.s.timezone)).replace(
                    hour=0, minute=0, second=0, microsecond=0)
                sticky = await self._sticky_employee(since)
            result = plan_call(scheme, schemes, directory, at, self.s.timezone, presence,
                               self.s.trunk, sticky_employee=sticky)
            self.music_on_hold = result.music_on_hold
            self._record("scheme_chosen", self.call_id, scheme, result.branch)
            log.event("call.planned", call=self.call_id, scheme=scheme, branch=result.branch,
                      blocks=len(result.plan.blocks), sticky=sticky)
            return Uncovered(result.reason) if result.uncovered else result.plan
        if self.kind == "internal":
            return plan_internal(directory, self.dialled, self.s.trunk, presence)
        return plan_inbound(directory, self.dialled, self.s.trunk, presence)

    async def _sticky_employee(self, since) -> str | None:
        """The call log's answer, if it comes quickly: a stalled database must not hold up
        ringing (the scheme is walked without sticky then)."""
        lookup = asyncio.ensure_future(asyncio.to_thread(
            self.s.call_log.sticky_employee, self.caller_number, since))
        try:
            return await asyncio.wait_for(asyncio.shield(lookup), STICKY_LOOKUP_S)
        except asyncio.TimeoutError:
            log.event("call.sticky_skipped", logging.WARNING, call=self.call_id,
                      reason=f"call log did not answer within {STICKY_LOOKUP_S} s")
            return None
        except Exception as exc:
            log.event("call.sticky_skipped", logging.WARNING, call=self.call_id, reason=repr(exc))
            return None

    async def walk(self, plan: Plan) -> bool:
        self.phase = "ringing"
        # Ringback (180) or, if the scheme says so, music on hold (the call is answered for
        # it); the bridge is prepared while the legs are dialled.
        if self.music_on_hold:
            asyncio.create_task(self._quiet(self._start_moh()))
        else:
            asyncio.create_task(self._quiet(self.s.ari.ring(self.caller)))
        self._bridge = asyncio.create_task(self.s.ari.create_bridge(self.bridge_id, "callctl"))
        for number, block in enumerate(plan.blocks, 1):
            if await self.ring_block(number, block):
                return True
        return False

    async def _start_moh(self) -> None:
        await self.s.ari.answer(self.caller)
        await self.s.ari.request("POST", f"/channels/{self.caller}/moh")

    async def ring_block(self, number: int, block: Block) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + block.timeout
        started = await asyncio.gather(*(self.originate(leg, block.timeout)
                                         for leg in block.legs))
        if not any(started):
            log.event("call.block_skipped", call=self.call_id, block=number,
                      reason="no leg could be dialled")
            return False
        while self.ringing:
            ev = await self.next_event(deadline)
            if ev is None:
                log.event("call.block_timeout", call=self.call_id, block=number,
                          timeout_s=block.timeout)
                await self._hangup_ringing("no_answer")
                return False
            if ev.type == "StasisStart" and ev.channel_id in self.ringing:
                self.answered = (ev.channel_id, self.ringing.pop(ev.channel_id))
                self._record("leg_ended", ev.channel_id, "answered", now())
                await self._hangup_ringing("cancelled")
                return True
        return False

    async def originate(self, leg: Leg, timeout: int) -> bool:
        channel_id = f"callctl-{self.call_id}-{uuid.uuid4().hex[:8]}"
        # Registered before the POST: the leg's first event can beat the HTTP response.
        self.ringing[channel_id] = leg
        self.router.own(channel_id, self)
        try:
            await self.s.ari.originate(leg.dial, channel_id, f"dialed,{self.call_id}",
                                       caller_id=self._caller_id_for_leg(), timeout=timeout + 5)
        except AriError as exc:
            self.ringing.pop(channel_id, None)
            self.router.disown(channel_id)
            log.event("call.leg_failed", logging.WARNING, call=self.call_id, leg=leg.dial,
                      reason=str(exc))
            self._record("leg_skipped", self.call_id, leg.dial, leg.employee,
                         f"could not be dialled: {exc}", now())
            return False
        self._record("leg_started", self.call_id, channel_id, leg.dial,
                     leg.employee, now())
        self.metrics.ring_started()
        log.event("call.leg_ringing", call=self.call_id, leg=leg.dial, employee=leg.employee)
        return True

    async def talk(self) -> None:
        self.phase = "talking"
        leg_channel, leg = self.answered
        self._record("answered", self.call_id, leg.employee, leg.dial, now())
        try:
            await asyncio.gather(self.s.ari.answer(self.caller), self._bridge)
            await self.s.ari.add_to_bridge(self.bridge_id, [self.caller, leg_channel])
        except NotFound:
            pass  # someone hung up at the moment of answer: the events below say who
        log.event("call.answered", call=self.call_id, employee=leg.employee, leg=leg.dial)
        while True:
            ev = await self.next_event(None)
            if ev.channel_id == leg_channel and ev.type in GONE:
                log.event("call.hangup", call=self.call_id, by="callee")
                return

    async def announce(self, media: str) -> None:
        """Answer the caller, play a prompt to its end, then the call ends."""
        playback_id = f"callctl-pb-{uuid.uuid4().hex[:12]}"
        try:
            await self.s.ari.answer(self.caller)
            await self.s.ari.play(self.caller, media, playback_id)
        except NotFound:
            raise CallerGone() from None
        deadline = asyncio.get_running_loop().time() + PROMPT_GUARD_S
        while True:
            ev = await self.next_event(deadline)
            if ev is None or (ev.type in ("PlaybackFinished", "PlaybackFailed")
                              and ev.playback_id == playback_id):
                return

    # -- events -----------------------------------------------------------------------------

    async def next_event(self, deadline: float | None) -> Event | None:
        """The next event for this call, None at the deadline; raises CallerGone."""
        while True:
            if deadline is None:
                ev = await self.queue.get()
            else:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    return None
                try:
                    ev = await asyncio.wait_for(self.queue.get(), remaining)
                except asyncio.TimeoutError:
                    return None
            if ev.type in GONE:
                if ev.channel_id == self.caller:
                    self.caller_alive = False
                    if self.phase == "talking":
                        log.event("call.hangup", call=self.call_id, by="caller")
                    raise CallerGone()
                leg = self.ringing.pop(ev.channel_id, None)
                if leg is not None:
                    log.event("call.leg_ended", call=self.call_id, leg=leg.dial,
                              cause=ev.raw.get("cause_txt") or ev.cause)
                    self._record("leg_ended", ev.channel_id,
                                 LEG_RESULT_BY_CAUSE.get(ev.cause, "failed"), now(),
                                 ev.raw.get("cause_txt"))
                    self.router.disown(ev.channel_id)
            if ev.type == "StasisStart" and ev.channel_id == self.caller:
                continue  # a resumed call's own late StasisStart
            return ev

    def deliver(self, ev: Event) -> None:
        self.queue.put_nowait(ev)

    # -- endings ----------------------------------------------------------------------------

    async def stop(self) -> None:
        """The daemon is stopping: bridged calls stay up in Asterisk, callers still waiting
        go to the dialplan's fallback."""
        if self.phase == "talking":
            self.keep_up = True
        else:
            self.handoff = True
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def _finish(self, outcome: str, detail: str | None) -> None:
        self.phase = "ended"
        ari = self.s.ari
        if not self.keep_up:
            for c in self.ringing:
                self._record("leg_ended", c, "cancelled", now())
            doomed = list(self.ringing)
            if self.answered is not None:
                doomed.append(self.answered[0])
            if self.handoff and self.caller_alive:
                await self._quiet(ari.continue_in_dialplan(
                    self.caller, self.s.fallback_context, self.dialled))
            elif self.caller_alive:
                doomed.append(self.caller)
            await asyncio.gather(*(self._quiet(ari.hangup(c)) for c in doomed))
            if self._bridge is not None:
                await asyncio.gather(self._bridge, return_exceptions=True)
                await self._quiet(ari.destroy_bridge(self.bridge_id))
            self._record("ended", self.call_id, outcome, now(), detail)
        if self._db is not None:
            await asyncio.gather(self._db, return_exceptions=True)
        self.router.forget(self)
        self.metrics.ended(None if self.keep_up else outcome)
        if not self.keep_up:  # logged once the record is written: readers may rely on it
            log.event("call.ended", call=self.call_id, outcome=outcome, detail=detail)

    async def _hangup_ringing(self, result: str) -> None:
        legs, self.ringing = list(self.ringing), {}
        await asyncio.gather(*(self._quiet(self.s.ari.hangup(c)) for c in legs))
        for c in legs:
            self.router.disown(c)
            self._record("leg_ended", c, result, now())

    # -- helpers ----------------------------------------------------------------------------

    def _caller_id_for_leg(self) -> str:
        if self.kind == "internal":
            employee = self.s.directory().by_login(self.caller_endpoint)
            if employee is not None:
                return f'"{employee.name}" <{employee.extension}>'
        name = f'"{self.caller_name}" ' if self.caller_name else ""
        return f"{name}<{self.caller_number}>"

    def _record(self, op: str, *args) -> None:
        """A call-log write (see recorder.py): in order, off the event loop, batched."""
        self._db = self.s.recorder.submit(op, *args)

    async def _quiet(self, coro) -> None:
        try:
            await coro
        except (AriError, OSError, asyncio.TimeoutError) as exc:
            log.event("ari.request_failed", logging.WARNING, call=self.call_id, error=str(exc))
        except Exception as exc:  # aiohttp errors while Asterisk is away
            log.event("ari.request_failed", logging.WARNING, call=self.call_id, error=repr(exc))


def _endpoint_of(channel_name: str) -> str:
    """'PJSIP/alice-0000001a' -> 'alice'."""
    tech_and_rest = channel_name.split("/", 1)[-1]
    return tech_and_rest.rsplit("-", 1)[0]
