"""One call, one asyncio task: plans the call, runs its steps, and cleans up.

The session only orchestrates: the steps (calls/steps/) do the work, the context
(context.py) holds the call's state and talks to Asterisk. Whatever happens, the session
ends with every channel it owns hung up (or handed to the dialplan's fallback), its bridges
destroyed and its call record written.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from zoneinfo import ZoneInfo

from .. import log, metrics
from ..domain.outgoing import plan_dialled
from ..domain.flow import Menu, Queue, Ring, Target
from ..domain.planner import PlanResult, plan_number
from ..store.calls import CallLog
from .context import CallContext, Services, now
from .model import Call, Leg
from .outcome import CallerGone
from .steps import voicemail
from .talk import hold_until_hangup, talk

STICKY_LOOKUP_S = 0.25
CALLBACK_RING_S = 40  # how long a called-back customer's phone rings
LEGS_GONE_S = 0.5  # at most, after hanging up a call's people, before they count as free


class CallSession:
    def __init__(self, services: Services, router, channel: dict, kind: str, dialled: str,
                 *, resumed: bool = False, resume_at: str = "", ringing: bool = False):
        """`resume_at`: where a restarted daemon found the caller (its CALLCTL_STEP, e.g.
        "queue:Sales:1764500000.123"): the call goes on from that step of its plan.
        `ringing`: the dialplan already sent the caller a 180."""
        caller = channel.get("caller") or {}
        call = Call(channel["id"], kind, dialled, caller.get("number") or "anonymous",
                    caller.get("name") or "", endpoint_of(channel.get("name", "")))
        self.s, self.router, self.call, self.resumed = services, router, call, resumed
        self.resume_at = resume_at
        self.ctx = CallContext(services, router, call, metrics.call_started())
        self.ctx.caller_up = channel.get("state") == "Up"  # a resumed call may be answered
        self.ctx.caller_ringing = ringing  # the dialplan sent the 180 (dialplan/callctl.conf)
        self.talking = False
        self.keep_up = False  # daemon stopping with the call bridged: leave it to Asterisk
        self.handoff = False  # daemon stopping before an answer: caller to the fallback
        self.task: asyncio.Task | None = None

    @property
    def caller(self) -> str:
        return self.call.id

    def deliver(self, ev) -> None:
        self.ctx.deliver(ev)

    # -- the call's life ---------------------------------------------------------------------

    async def run(self) -> None:
        outcome, detail = "missed", None
        call = self.call
        try:
            self.ctx.record(CallLog.started, call.id, call.kind, call.dialled,
                            call.caller_number, now(), call.caller_name or None)
            self.s.crm.started(call)
            log.event("call.resumed" if self.resumed else "call.started", call=call.id,
                      kind=call.kind, number=call.dialled, caller=call.caller_number)
            self._engage_caller()
            self.s.events.call_started(call)
            plan = await self.plan()
            if plan.uncovered:
                outcome, detail, self.handoff = "fallback", plan.reason, True
                log.event("call.uncovered", call=call.id, number=call.dialled,
                          reason=plan.reason)
                return
            steps = resume_from(self.ctx, plan.steps, self.resume_at)
            result = await self.ctx.run_steps(steps, None)
            if result.kind == "answered":
                outcome, self.talking = "answered", True
                await talk(self.ctx, result.leg)
            elif result.kind == "hangup":
                outcome, detail = result.outcome, result.detail
        except CallerGone:
            if self.talking:
                log.event("call.hangup", call=call.id, by="caller")
            elif call.answered is None:
                detail = "caller hung up while ringing"
        except asyncio.CancelledError:
            if self.handoff:
                outcome, detail = "fallback", "daemon stopped before an answer"
            elif not self.keep_up:
                raise
        finally:
            if call.answered is not None:
                outcome = "answered"
            await self._finish(outcome, detail)

    async def run_adopted(self, leg: Leg, transfer=None) -> None:
        """Carry a call that was already bridged when this daemon (re)connected, or whose
        `transfer` was under way (transfers/resume.py: it goes on first); `leg` is the one
        the caller talked with (the transferer)."""
        self.call.legs[leg.channel_id] = leg
        self.call.answered, self.talking = leg, True
        if leg.state != "gone":
            self.ctx.engage(leg.party)
        log.event("call.adopted", call=self.call.id, leg=leg.dial)
        try:
            await hold_until_hangup(self.ctx, leg, transfer=transfer)
        except CallerGone:
            log.event("call.hangup", call=self.call.id, by="caller")
        except asyncio.CancelledError:
            if not self.keep_up:
                raise
        finally:
            await self._finish("answered", None)

    async def run_voicemail(self, box_name: str) -> None:
        """Carry a caller who was in voicemail when this daemon (re)connected: a recording
        still running is waited for and kept; otherwise the voicemail starts again."""
        outcome, detail = "missed", None
        try:
            log.event("call.resumed", call=self.call.id, kind=self.call.kind,
                      number=self.call.dialled, caller=self.call.caller_number)
            result = await voicemail.resume(self.ctx, box_name)
            if result is None:  # the box is gone: the call starts again
                result = await self.ctx.run_steps((await self.plan()).steps, None)
            if result.kind == "answered":
                outcome, self.talking = "answered", True
                await talk(self.ctx, result.leg)
            else:
                outcome, detail = result.outcome, result.detail
        except CallerGone:
            pass
        except asyncio.CancelledError:
            if not (self.handoff or self.keep_up):
                raise
        finally:
            await self._finish(outcome, detail)

    async def run_callback(self, cb, operator: str, queue) -> None:
        """A queue callback: the operator (this call's first channel) has answered; the
        customer's number rings, showing the number they had called, then they talk."""
        outcome, detail = "missed", "the customer did not answer the callback"
        ctx, call = self.ctx, self.call
        ctx.caller_up = True
        ctx.legs_caller_id = f"<{cb.caller_id}>"
        ctx.engage(operator)
        ctx.wrapup[operator] = queue.wrapup_seconds
        ctx.at_end.append(lambda: self.s.queues.call_ended(queue.name, operator))
        try:
            ctx.record(CallLog.started, call.id, "callback", cb.number, cb.number, now(),
                       None)
            log.event("call.started", call=call.id, kind="callback", number=cb.number,
                      queue=queue.name, operator=operator)
            result = await ctx.run_steps((Ring((Target("phone", cb.number, operator),),
                                               CALLBACK_RING_S),), None)
            if result.kind == "answered":
                outcome, detail, self.talking = "answered", None, True
                await talk(ctx, result.leg)
        except CallerGone:  # the operator hung up
            if not self.talking:
                detail = "the operator hung up before the customer answered"
        except asyncio.CancelledError:
            if not self.keep_up:
                raise
        finally:
            await self._finish(outcome, detail)

    async def plan(self) -> PlanResult:
        call, at, sticky = self.call, now(), None
        catalog, presence, tz = self.s.catalog(), self.s.presence(), self.s.timezone
        if call.kind == "internal":
            result = plan_dialled(call.caller_login, call.dialled, catalog, self.s.outgoing(),
                                  presence, at, tz)
        else:
            if self.s.sticky and call.dialled in catalog.routes:
                since = at.astimezone(ZoneInfo(tz)).replace(hour=0, minute=0, second=0,
                                                            microsecond=0)
                sticky = await self._sticky_employee(since)
            result = plan_number(call.dialled, catalog, presence, at, tz, sticky)
        if result.scheme is not None:
            self.ctx.record(CallLog.scheme_chosen, call.id, result.scheme, result.branch)
        self.ctx.music_on_hold = result.music_on_hold
        log.event("call.planned", call=call.id, scheme=result.scheme, branch=result.branch,
                  steps=len(result.steps), sticky=sticky, reason=result.reason)
        return result

    async def _sticky_employee(self, since) -> str | None:
        """The call log's answer, if it comes quickly: a stalled database must not hold up
        ringing (the scheme is walked without sticky then)."""
        lookup = asyncio.ensure_future(asyncio.to_thread(
            self.s.call_log.sticky_employee, self.call.caller_number, since))
        try:
            return await asyncio.wait_for(asyncio.shield(lookup), STICKY_LOOKUP_S)
        except asyncio.TimeoutError:
            log.event("call.sticky_skipped", logging.WARNING, call=self.call.id,
                      reason=f"call log did not answer within {STICKY_LOOKUP_S} s")
        except Exception as exc:
            log.event("call.sticky_skipped", logging.WARNING, call=self.call.id,
                      reason=repr(exc))
        return None

    def _engage_caller(self) -> None:
        """A staff member who dials is on a call: nobody else rings them meanwhile."""
        if self.call.kind != "internal":
            return
        owner = self.s.catalog().directory.by_login(self.call.caller_login)
        self.ctx.engage(owner.name if owner else f"sip:{self.call.caller_login}")

    # -- endings ----------------------------------------------------------------------------

    async def stop(self) -> None:
        """The daemon is stopping: bridged calls stay up in Asterisk, callers still waiting
        go to the dialplan's fallback."""
        if self.talking:
            self.keep_up = True
        else:
            self.handoff = True
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def _finish(self, outcome: str, detail: str | None) -> None:
        ctx, call, ari = self.ctx, self.call, self.s.ari
        doomed: list[str] = []
        bridged = {c for bridge in call.bridges.values() for c in bridge.members}
        try:
            if not self.keep_up:
                await ctx.drop(call.ringing(), "cancelled")
                doomed = [leg.channel_id for leg in call.live()]
                left = self.router.left(bridged)  # asked first: a StasisEnd may be near
                if self.handoff and ctx.caller_alive:
                    await ctx.quiet(ari.continue_in_dialplan(
                        ctx.caller, self.s.fallback_context, call.dialled))
                elif ctx.caller_alive:
                    await ctx.quiet(ari.hangup(ctx.caller, cause=ctx.hangup_cause))
                gone = self.router.destroyed(doomed)
                await asyncio.gather(*(ctx.quiet(ari.hangup(c)) for c in doomed))
                if gone or left:  # a queue would otherwise offer the next caller to a phone
                    await asyncio.wait(gone + left, timeout=LEGS_GONE_S)  # with this call
                await self._release_bridges(left)
        finally:
            self.router.forget_destroyed(doomed)
            self.router.forget_left(bridged)
            ctx.release_all()
        if not self.keep_up:
            ctx.record(CallLog.ended, call.id, outcome, now(), detail,
                       "; ".join(call.route) or None)
            self.s.crm.ended(call, outcome)
        await ctx.flushed()
        ctx.metrics.ended(None if self.keep_up else outcome)
        self.router.forget(self)
        if not self.keep_up:  # once the record is written: readers (pages too) rely on it
            self.s.events.ended(call, outcome)
            log.event("call.ended", call=call.id, outcome=outcome, detail=detail)

    async def _release_bridges(self, left: list[asyncio.Future]) -> None:
        """Empty bridges go back to the pool; one that someone may still be in (a channel
        that did not leave Stasis in time) is destroyed."""
        empty = all(f.done() for f in left)

        async def release(bridge: str) -> None:  # the request made only once it runs
            await self.ctx.quiet(self.s.bridges.give(bridge) if empty
                                 else self.s.ari.destroy_bridge(bridge))
        await asyncio.gather(*map(release, list(self.call.bridges)))


def resume_from(ctx, steps: tuple, marker: str) -> tuple:
    """The plan from the step a restarted daemon found the caller in (a menu, a queue: the
    first step of that kind and name), else the whole plan. A queue keeps the caller's
    place in line (its joined time, in the marker)."""
    kind, _, rest = marker.partition(":")
    name, _, joined = rest.rpartition(":") if kind == "queue" else (rest, "", "")
    for i, step in enumerate(steps):
        if kind == "queue" and isinstance(step, Queue) and step.queue.name == name:
            with contextlib.suppress(ValueError):
                ctx.resumed[("queue", name)] = float(joined)
            return steps[i:]
        if kind == "menu" and isinstance(step, Menu) and step.menu.name == name:
            return steps[i:]
    return steps


def endpoint_of(channel_name: str) -> str:
    """'PJSIP/alice-0000001a' -> 'alice'."""
    tech_and_rest = channel_name.split("/", 1)[-1]
    return tech_and_rest.rsplit("-", 1)[0]
