"""What a call's steps work with: its events, its caller, its legs and bridges, the
call log. One CallContext per call; steps (calls/steps/) get it and nothing else.

Events for the call's channels, playbacks and recordings arrive in its own queue (see
router.py). `next_event` keeps the Call model current on every event (a leg that ended,
the caller gone) so that steps only look at what concerns them.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from .. import log
from ..crm.calls import NoCrm
from ..workspace.events import NoEvents
from ..domain.flow import Prompt, Step, Target
from ..domain.keypad import FeatureCodes
from ..domain.outgoing import OutgoingPolicy
from ..pbx.ari import AriError, NotFound
from ..pbx.bridges import BridgePool
from ..pbx.dial import dial_string
from ..pbx.events import Event
from ..pbx.transfers import add_absorbing
from ..store.calls import CallLog
from .model import Bridge, Call, Leg
from .outcome import CallerGone, Outcome

if TYPE_CHECKING:
    from ..domain.catalog import Catalog
    from ..domain.directory import Presence
    from ..pbx.ari import Ari
    from .busy import BusyBoard
    from .recorder import CallRecorder
    from .router import Router

GONE = frozenset({"StasisEnd", "ChannelDestroyed", "ChannelHangupRequest"})
# Q.850 causes of a leg that stopped ringing by itself -> the call log's leg result.
LEG_RESULT_BY_CAUSE = {16: "no_answer", 17: "busy", 18: "no_answer", 19: "no_answer",
                       21: "busy"}
LEG_PREFIX = "callctl-"  # ids of the channels, bridges, playbacks this daemon creates
# Kept on Asterisk's channels (ari.conf channelvars shows them in every channel listing),
# so a restarted daemon finds each call's parts again: see calls/reconcile.py.
CALL_VAR, PARTY_VAR, STEP_VAR = "CALLCTL_CALL", "CALLCTL_PARTY", "CALLCTL_STEP"
TRANSFER_VAR = "CALLCTL_TRANSFER"  # a transfer's stage, on its transferee (transfers/marks.py)
BRIDGE_TRIES = 3  # idle bridges tried for a call before giving up (see connect)
PROMPT_GUARD_S = 600  # a prompt whose end was never reported (events lost) stops waiting
# A phone's transfer (REFER) on a leg we originate comes to callctl as an ARI event, as
# the dialplan sets it for callers: else Asterisk's core transfers it on its own, through
# Local channels callctl does not know (see calls/refer.py).
ARI_TRANSFERS = {"PJSIP_TRANSFER_HANDLING()": "ari-only"}


@dataclass
class Services:
    """What a call needs from the rest of the daemon (built in app.py)."""
    ari: "Ari"
    call_log: CallLog  # reads (sticky routing); writes go through the recorder
    recorder: "CallRecorder"
    catalog: Callable[[], "Catalog"]
    presence: Callable[[], "Presence"]  # registrations and who is busy, now
    busy: "BusyBoard"
    media: Callable[[Prompt], str]  # a prompt as an Asterisk media URI
    fallback_context: str
    trunk: str = "carrier"
    timezone: str = "UTC"
    sticky: bool = False  # a caller who talked to someone today reaches them first
    mailroom: object | None = None  # takes recorded messages (voicemail/mailroom.py)
    outgoing: Callable[[], OutgoingPolicy] = OutgoingPolicy  # caller-ID rules and bans, now
    country: str = "US"  # how numbers without +<code> are read (webhook answers)
    webhooks: object | None = None  # integrations/webhooks.py
    crm: NoCrm = NoCrm()  # crm/calls.py: events, cards, responsible-manager lookups
    events: NoEvents = NoEvents()  # workspace/events.py: what the workspace pages see live
    queues: object | None = None  # calls/queues.py: who waits where, and offers
    codes: FeatureCodes = FeatureCodes()  # transfers from the keypad
    transfer_ring_s: int = 20  # how long a transfer's recipient rings
    bridges: BridgePool | None = None  # empty bridges for the next call (one per ARI)

    def __post_init__(self):
        if self.bridges is None:
            self.bridges = BridgePool(self.ari)


def now() -> datetime:
    return datetime.now(timezone.utc)


def new_id(kind: str) -> str:
    return f"{LEG_PREFIX}{kind}-{uuid.uuid4().hex[:12]}"


class CallContext:
    def __init__(self, services: Services, router: "Router", call: Call, metrics=None):
        self.s, self.router, self.call, self.metrics = services, router, call, metrics
        # The party the call serves: its caller, or, once the caller transferred the other
        # party away, that party (talk.py). Its hang-up ends the call (CallerGone).
        self.caller = call.id
        self.talk = None  # the talk phase, once someone answered (talk.py)
        self.absorb: set[str] = set()  # channels whose digits are the daemon's (keypad.py)
        self.relayed: set[str] = set()  # others whose digits the bridge absorbs: sent on
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self.caller_alive = True
        self.caller_up = False  # answered (by us): media steps need it, prompts bill it
        self.caller_ringing = False  # the caller was sent a 180 (by the dialplan or by us)
        self.music_on_hold = False  # what the caller hears while people ring
        self._waiting: str | None = None  # "ring" | "moh" | a ringback or music playback id
        self._loop: Prompt | None = None  # music played again each time it ends
        self._ringback: asyncio.Future | None = None  # the ring request, while it is out
        self.hangup_cause: int | None = None  # how the caller is hung up at the end
        self.engaged: set[str] = set()  # parties this call made busy (released at its end)
        self.wrapup: dict[str, int] = {}  # party -> wrap-up seconds after this call (queues)
        self.at_end: list[Callable[[], None]] = []  # run once the call has ended
        self.resumed: dict[tuple[str, str], float] = {}  # (kind, name) -> state (restart)
        self.legs_caller_id: str | None = None  # what outside numbers see (outgoing calls)
        self._db: asyncio.Future | None = None  # the last call-log write

    def loop_time(self) -> float:
        return asyncio.get_running_loop().time()

    def until(self, seconds: float, deadline: float | None) -> float:
        """The earlier of `seconds` from now and the enclosing step's deadline."""
        end = self.loop_time() + seconds
        return end if deadline is None else min(end, deadline)

    async def run_steps(self, steps: tuple[Step, ...], deadline: float | None) -> Outcome:
        from .steps import run_steps  # the runners import this module
        return await run_steps(self, steps, deadline)

    # -- events -----------------------------------------------------------------------------

    def deliver(self, ev: Event) -> None:
        self.queue.put_nowait(ev)

    async def next_event(self, deadline: float | None) -> Event | None:
        """The next event for this call, None at the deadline; raises CallerGone."""
        while True:
            if deadline is None:
                ev = await self.queue.get()
            else:
                remaining = deadline - self.loop_time()
                if remaining <= 0:
                    return None
                try:
                    ev = await asyncio.wait_for(self.queue.get(), remaining)
                except asyncio.TimeoutError:
                    return None
            if ev.type in GONE:
                if ev.channel_id == self.caller:
                    self.caller_alive = False
                    raise CallerGone()
                leg = self.call.legs.get(ev.channel_id)
                if leg is not None and leg.state != "gone":
                    self._leg_gone(leg, ev)
            if ev.type == "StasisStart" and ev.channel_id == self.caller:
                continue  # a resumed call's own late StasisStart
            if self._loop is not None and ev.playback_id == self._waiting \
                    and ev.type in ("PlaybackFinished", "PlaybackFailed"):
                await self._play_loop()  # the music's end: from the start again
                continue
            return ev

    def _leg_gone(self, leg: Leg, ev: Event) -> None:
        if leg.state == "ringing":
            log.event("call.leg_ended", call=self.call.id, leg=leg.dial,
                      cause=ev.raw.get("cause_txt") or ev.cause)
            self.record(CallLog.leg_ended, leg.channel_id,
                        LEG_RESULT_BY_CAUSE.get(ev.cause, "failed"), now(),
                        ev.raw.get("cause_txt"))
        self._forget_leg(leg)

    def _forget_leg(self, leg: Leg) -> None:
        if leg.state == "ringing" and leg.party is not None:
            self.s.busy.stopped_ringing(leg.party, leg.channel_id)
        leg.state = "gone"
        self.router.disown(leg.channel_id)

    # -- the caller ---------------------------------------------------------------------------

    async def answer(self) -> None:
        if not self.caller_up:
            await self._caller_request(self.s.ari.answer(self.caller))
            self.caller_up = True

    async def progress(self) -> None:
        await self._caller_request(self.s.ari.progress(self.caller))

    async def mark_step(self, value: str) -> None:
        """Where the caller is (menu, voicemail), kept on the channel for a restart."""
        await self._caller_request(self.s.ari.set_variable(self.caller, STEP_VAR, value))

    async def start_waiting(self, playback_id: str | None = None) -> None:
        """What the caller hears while people ring: ringback (180 before an answer, an
        in-band tone after one, as `playback_id` if given) or, if the scheme says so,
        music on hold."""
        if self._waiting is not None:
            return
        if self.music_on_hold:
            await self.answer()
            await self.moh()
        elif self.caller_up:
            self._waiting = playback_id or new_id("pb")
            await self._caller_request(self.s.ari.play(self.caller, "tone:ring",
                                                       self._waiting))
        else:
            self._waiting = "ring"
            if not self.caller_ringing:
                # Not awaited: the legs' originate leaves at once, a round-trip sooner (the
                # phone rings ~1.5 ms earlier); stop_waiting collects it.
                self.caller_ringing = True
                self._ringback = asyncio.ensure_future(self.quiet(self._ring()))

    def waiting_since_restart(self, waiting: str | None) -> None:
        """What a restarted daemon found the caller hearing ("moh", a ringback playback id):
        stop_waiting stops it."""
        self._waiting = waiting

    async def _ring(self) -> None:
        try:
            await self.s.ari.ring(self.caller)
        except NotFound:
            pass  # the caller left meanwhile: their StasisEnd tells the steps

    async def moh(self) -> None:
        """Asterisk's music on hold, until stop_waiting."""
        await self.stop_waiting()
        self._waiting = "moh"
        await self._caller_request(self.s.ari.request("POST", f"/channels/{self.caller}/moh"))

    def loop_prompt(self, prompt: Prompt) -> asyncio.Future:
        """`prompt` as music: played again each time it ends, until stop_waiting."""
        self._loop = prompt
        return asyncio.ensure_future(self._play_loop())

    async def _play_loop(self) -> None:
        if self._waiting is not None:
            self.router.disown(self._waiting)
        self._waiting = new_id("pb")
        self.router.own(self._waiting, self)
        await self._caller_request(self.s.ari.play(self.caller, self.s.media(self._loop),
                                                   self._waiting))

    async def stop_waiting(self) -> None:
        """Whatever the caller hears between steps (ringback, music) stops."""
        if self._ringback is not None:
            await self._ringback
            self._ringback = None
        waiting, self._waiting, self._loop = self._waiting, None, None
        if waiting == "moh":
            await self.quiet(self.s.ari.request("DELETE", f"/channels/{self.caller}/moh"))
        elif waiting is not None and waiting != "ring":
            await self.quiet(self.s.ari.stop_playback(waiting))

    async def play(self, prompt: Prompt) -> str:
        """Start a prompt on the caller; returns the playback id (its events come here)."""
        playback_id = new_id("pb")
        self.router.own(playback_id, self)
        await self._caller_request(self.s.ari.play(self.caller, self.s.media(prompt),
                                                   playback_id))
        return playback_id

    async def play_to_end(self, prompt: Prompt, deadline: float | None = None,
                          digits: str = "") -> str | None:
        """Play a prompt until it ends (or the deadline). A key in `digits` pressed meanwhile
        stops it and is returned (barge-in)."""
        if deadline is None:
            deadline = self.until(PROMPT_GUARD_S, None)
        playback_id = await self.play(prompt)
        try:
            while True:
                ev = await self.next_event(deadline)
                if ev is None:
                    return None
                if ev.playback_id == playback_id and ev.type in ("PlaybackFinished",
                                                                 "PlaybackFailed"):
                    if ev.type == "PlaybackFailed":
                        log.event("call.prompt_failed", logging.WARNING, call=self.call.id,
                                  prompt=str(prompt))
                    return None
                if ev.type == "ChannelDtmfReceived" and ev.channel_id == self.caller \
                        and ev.digit in digits:
                    await self.quiet(self.s.ari.stop_playback(playback_id))
                    return ev.digit
        finally:
            self.router.disown(playback_id)

    async def start_recording(self, name: str, max_seconds: int, silence_seconds: int) -> None:
        """Record the caller (after a beep) into Asterisk's store as `name`; '#' ends it."""
        await self._caller_request(self.s.ari.record(self.caller, name, max_seconds,
                                                     silence_seconds))

    async def _caller_request(self, coro) -> None:
        try:
            await coro
        except NotFound:
            self.caller_alive = False
            raise CallerGone() from None

    # -- legs ---------------------------------------------------------------------------------

    def caller_id_for_legs(self) -> str:
        if self.legs_caller_id is not None:
            return self.legs_caller_id
        call = self.call
        if call.kind == "internal":
            employee = self.s.catalog().directory.by_login(call.caller_login)
            if employee is not None:
                return f'"{employee.name}" <{employee.extension}>'
        name = f'"{call.caller_name}" ' if call.caller_name else ""
        return f"{name}<{call.caller_number}>"

    async def originate(self, target: Target, timeout: float,
                        caller_id: str | None = None) -> Leg | None:
        """Start ringing `target` (showing `caller_id`, else the call's); None when Asterisk
        refused to dial it (logged)."""
        channel_id = f"{LEG_PREFIX}{self.call.id}-{uuid.uuid4().hex[:8]}"
        leg = Leg(channel_id, "callee", target, dial_string(target, self.s.trunk))
        # Registered before the POST: the leg's first event can beat the HTTP response.
        self.call.legs[channel_id] = leg
        self.router.own(channel_id, self)
        try:
            await self.s.ari.originate(leg.dial, channel_id, f"dialed,{self.call.id}",
                                       caller_id=caller_id or self.caller_id_for_legs(),
                                       timeout=int(timeout) + 5,
                                       variables={CALL_VAR: self.call.id,
                                                  PARTY_VAR: leg.party, **ARI_TRANSFERS})
        except AriError as exc:
            del self.call.legs[channel_id]
            self.router.disown(channel_id)
            log.event("call.leg_failed", logging.WARNING, call=self.call.id, leg=leg.dial,
                      reason=str(exc))
            self.record(CallLog.leg_skipped, self.call.id, leg.dial, leg.employee,
                        f"could not be dialled: {exc}", now())
            return None
        self.s.busy.ringing(leg.party, channel_id, self.call.id, self.deliver)
        if self.metrics is not None:
            self.metrics.ring_started()
        self.record(CallLog.leg_started, self.call.id, channel_id, leg.dial, leg.employee,
                    now())
        log.event("call.leg_ringing", call=self.call.id, leg=leg.dial, employee=leg.employee)
        self.s.events.ringing(self.call, leg)
        return leg

    async def drop(self, legs: list[Leg], result: str) -> None:
        """Hang up legs that still ring; the call log gets `result` for each."""
        legs = [leg for leg in legs if leg.state == "ringing"]
        for leg in legs:
            self._forget_leg(leg)
            self.record(CallLog.leg_ended, leg.channel_id, result, now())
        await asyncio.gather(*(self.quiet(self.s.ari.hangup(leg.channel_id)) for leg in legs))

    def took_call(self, leg: Leg) -> None:
        """`leg` answered: it is the call's person; they are busy from now."""
        self.s.busy.stopped_ringing(leg.party, leg.channel_id)
        leg.state = "up"
        self.call.answered = leg
        self.record(CallLog.leg_ended, leg.channel_id, "answered", now())
        self.engage(leg.party)

    def engage(self, party: str | None) -> None:
        if party is not None:
            self.engaged.add(party)
            self.s.busy.engage(party, self.call.id)

    def release_all(self) -> None:
        """The call ended: its parties are free (after any wrap-up) and its end hooks run."""
        for party in self.engaged:
            self.s.busy.release(party, self.call.id, self.wrapup.get(party, 0))
        self.engaged.clear()
        hooks, self.at_end = self.at_end, []
        for hook in hooks:
            hook()

    async def connect(self, leg: Leg) -> None:
        """Caller and `leg` talk: answered, in a mixing bridge of the call's own."""
        await self.stop_waiting()
        answered, bridge_id = await asyncio.gather(self.answer(), self.s.bridges.take(),
                                                   return_exceptions=True)
        if isinstance(bridge_id, BaseException):
            raise bridge_id
        bridge = self._own_bridge(bridge_id)  # before anything can fail: _finish ends it
        if isinstance(answered, BaseException):
            raise answered
        for attempt in range(BRIDGE_TRIES):
            try:
                return await self.join(bridge, [self.caller, leg.channel_id])
            except NotFound as exc:  # 404 is the bridge: an idle one destroyed behind our
                if exc.status != 404 or attempt == BRIDGE_TRIES - 1:  # back (ops): the next
                    raise
            del self.call.bridges[bridge.id]
            bridge = self._own_bridge(await self.s.bridges.take())

    def _own_bridge(self, bridge_id: str) -> Bridge:
        bridge = Bridge(bridge_id)
        self.call.bridges[bridge.id] = bridge
        self.router.own(bridge.id, self)
        return bridge

    async def join(self, bridge: Bridge, channels: list[str]) -> None:
        """Into `bridge`, in one request. If one of them is staff, everyone's digits stay
        off the bridge: staff keys are read for feature codes (keypad.py), the others' are
        sent on by the daemon (`relayed`)."""
        bridge.members.update(channels)  # before: a refused add may still have added some
        if any(c in self.absorb for c in channels):
            self.relayed.update(c for c in channels if c not in self.absorb)
            await add_absorbing(self.s.ari, bridge.id, channels)
        else:
            self.relayed.difference_update(channels)
            await self.s.ari.add_to_bridge(bridge.id, channels)

    # -- the world and the log ------------------------------------------------------------------

    def record(self, write: Callable, *args) -> None:
        """A call-log write (a CallLog method and its arguments): in order, off the event
        loop, batched (see recorder.py)."""
        self._db = self.s.recorder.submit(write, *args)

    async def flushed(self) -> None:
        if self._db is not None:
            await asyncio.gather(self._db, return_exceptions=True)

    async def quiet(self, coro) -> None:
        """A clean-up request: its failure is logged, never raised."""
        try:
            await coro
        except (AriError, OSError, asyncio.TimeoutError) as exc:
            log.event("ari.request_failed", logging.WARNING, call=self.call.id, error=str(exc))
        except Exception as exc:  # aiohttp errors while Asterisk is away
            log.event("ari.request_failed", logging.WARNING, call=self.call.id,
                      error=repr(exc))
