"""Blind and attended transfers of a call in its talk phase, over ARI bridges (the states and
whom a transfer rings: domain/transfer.py).

A transfer takes the call's bridge down: the transferee waits alone, on hold with music
(attended) or hearing ringback (blind); the transferer hears ringback while the recipient's
phones ring (attended) or leaves (blind). The recipient's answer opens a consultation
bridge with the transferer (attended) or bridges them with the transferee (blind).
Completing bridges transferee and recipient, going back bridges transferee and transferer
again; either way the call goes on with the new pair (talk.py). A transfer a phone asked
for (REFER) tells that phone how it went (NOTIFY, through transfer_progress).

Each step goes to the call log (store/transfers.py). Nothing is asked of a channel that
plays an endless tone (ringback) but to stop it: Asterisk runs a Stasis channel's requests
(answer, variables, ...) one after the other on the channel itself, so a request queued
behind `tone:ring` waits until the HTTP request times out.
"""
from __future__ import annotations

import asyncio

from ... import log
from ...domain.flow import NOBODY_AVAILABLE
from ...domain.transfer import (TERMINAL, Recipient, Refused, next_state, resolve,
                               result_of)
from ...pbx.ari import NotFound
from ...pbx.transfers import ANSWERED, DECLINED, PROGRESS, UNAVAILABLE, transfer_progress
from ...store.transfers import transfer_answered, transfer_ended, transfer_started
from ..context import new_id, now
from ..model import Bridge, Leg
from ..outcome import CallerGone
from ..parties import employee_of, identity, login_of, who
from ..steps.ring import _call_waiting
from .marks import mark

# Synthetic events: a request of the API (desk.py), a call handing a party over (refer.py).
TRANSFER_REQUEST, HANDOVER = "TransferRequest", "Handover"
RINGBACK = "tone:ring"
GRACE_S = 3  # a REFER's transferer hangs up once told the transfer worked; else we do
DONE = {"complete": "completed", "cancel": "cancelled"}


class Busy(Exception):
    """A request the call cannot take now; str() says why, `status` is the HTTP answer."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


def refuse(reply: asyncio.Future, message: str, status: int = 409) -> None:
    if not reply.done():
        reply.set_exception(Busy(message, status))


async def start(conv, mode: str, via: str, transferer: Leg, to: str,
                refer: str | None = None, reply: asyncio.Future | None = None) -> None:
    """`transferer` transfers the other party of the call to `to`. Refused (nobody can be
    rung): the transferer hears why (its phone is told, or the API answers it) and the
    call goes on as it was."""
    ctx = conv.ctx
    transferee = conv.other(transferer)
    mine = employee_of(ctx, transferer)
    on_call = frozenset(filter(None, (mine, employee_of(ctx, transferee))))
    try:
        recipient = resolve(to, ctx.s.catalog(), ctx.s.presence(), ctx.s.outgoing(), mine,
                            login_of(transferer), on_call)
    except Refused as refused:
        conv.count += 1
        ctx.record(transfer_started, ctx.call.id, conv.count, mode, via, who(ctx, transferer),
                   str(to), None, now())
        ctx.record(transfer_ended, ctx.call.id, conv.count, "refused", now(), None, None,
                   str(refused))
        log.event("call.transfer_refused", call=ctx.call.id, mode=mode, via=via, to=str(to),
                  reason=str(refused))
        if reply is not None and not reply.done():
            reply.set_exception(refused)
        if refer is not None:
            await transfer_progress(ctx.s.ari, refer, UNAVAILABLE)
        elif reply is None:  # the keypad: the transferer hears why (the API answers it)
            conv.prompt = new_id("pb")
            await ctx.quiet(ctx.s.ari.play(transferer.channel_id, ctx.s.media(refused.prompt),
                                           conv.prompt))
        return
    conv.transfer = Transfer(conv, mode, via, transferer, transferee, recipient, refer)
    try:
        await conv.transfer.run(reply)
    finally:
        conv.transfer = None


class Transfer:
    def __init__(self, conv, mode: str, via: str, transferer: Leg, transferee: Leg,
                 recipient: Recipient, refer: str | None = None):
        self.conv, self.ctx = conv, conv.ctx
        self.mode, self.via, self.refer = mode, via, refer
        self.transferer, self.transferee, self.recipient = transferer, transferee, recipient
        conv.count += 1
        self.seq = conv.count
        self.state = "ready"
        self.legs: list[Leg] = []  # the phones rung for the recipient
        self.answered: Leg | None = None
        self.ringback: str | None = None  # the transferer's ringback (a playback id)
        self.consult: Bridge | None = None
        self.end = 0.0  # loop time the ringing stops
        self.event = ""  # what moved it last (the call log's result)
        self.requests: list[asyncio.Future] = []  # API requests answered by the next state

    def view(self) -> dict:
        """The transfer as the API shows it."""
        ctx, r = self.ctx, self.answered
        return {"seq": self.seq, "mode": self.mode, "via": self.via, "state": self.state,
                "to": self.recipient.label, "transferer": who(ctx, self.transferer),
                "transferee": who(ctx, self.transferee),
                "recipient": who(ctx, r) if r is not None else None}

    def peer(self, channel_id: str) -> str | None:
        """Whom a party's digits go on to meanwhile: the transferer's, to the recipient."""
        r = self.answered
        if channel_id == self.transferer.channel_id and r is not None and self.consult:
            return r.channel_id
        return None

    # -- the run ----------------------------------------------------------------------------

    async def run(self, reply: asyncio.Future | None = None) -> None:
        ctx, t, e = self.ctx, self.transferer, self.transferee
        ctx.record(transfer_started, ctx.call.id, self.seq, self.mode, self.via, who(ctx, t),
                   self.recipient.asked, self.recipient.label, now())
        log.event("call.transfer_started", call=ctx.call.id, seq=self.seq, mode=self.mode,
                  via=self.via, by=who(ctx, t), to=self.recipient.label)
        self.conv.serve(e)  # whose hang-up ends the call, from now on
        ctx.call.legs.setdefault(t.channel_id, t)  # the caller, too, is followed as a leg
        self.conv.keypads.pads.pop(e.channel_id, None)
        if self.conv.prompt is not None:  # a prompt left playing in the bridge blocks the
            # transferer's channel after the bridge goes (its ringback would never start)
            await ctx.quiet(ctx.s.ari.stop_playback(self.conv.prompt))
            self.conv.prompt = None
        await self._unbridge()
        if self.refer is not None:
            await transfer_progress(ctx.s.ari, self.refer, PROGRESS)
        await self._enter("ringback" if self.mode == "attended" else "blind")
        self.legs = await self._ring(self.recipient.targets, self._shown())
        if reply is not None and not reply.done():
            reply.set_result(self.view())
        await self.go_on(() if self.legs else ("declined",))

    async def go_on(self, missed: tuple[str, ...] = ()) -> None:
        """From the state it is in to its end: first `missed`, events that happened
        unseen (nobody could be rung; a restarted daemon's, see resume.py)."""
        for event in missed:
            await self._move(event)
        while self.state not in TERMINAL:
            await self._move(*await self._next())
        await self._after()

    async def _move(self, event: str, leg: Leg | None = None) -> None:
        new = next_state(self.state, event)
        if new is None:
            return
        self.event = event
        if leg is not None:
            self.answered = leg
        await self._enter(new)
        for request in self.requests:
            if not request.done():
                request.set_result(self.view())
        self.requests.clear()

    async def _enter(self, state: str) -> None:
        ctx, t, e = self.ctx, self.transferer, self.transferee
        self.state = state
        # `on`, not `event`: a second event= in the line would hide the event's name
        log.event("call.transfer", call=ctx.call.id, seq=self.seq, state=state,
                  on=self.event or "start")
        if state == "ringback":  # the transferee on hold, the transferer hears ringback
            self.conv.keypads.consulting(t.channel_id)
            self.ringback = new_id("pb")
            await mark(self, ringback=self.ringback)
            ctx.music_on_hold = True
            await ctx.start_waiting()
            await ctx.quiet(ctx.s.ari.play(t.channel_id, RINGBACK, self.ringback))
        elif state == "answered":  # the transferer talks to the recipient first
            await self._stop_ringback()
            self.consult = await self._bridge([t.channel_id, self.answered.channel_id])
            await mark(self)
            self._log_answered()
        elif state == "blind":  # the transferer leaves, the transferee hears ringback
            await self._stop_ringback()
            await ctx.stop_waiting()
            if self.refer is None:
                await self._release(t)
            ctx.music_on_hold = False
            waiting = new_id("pb")
            await mark(self, waiting=waiting)  # before the tone: it would hold the request
            await ctx.start_waiting(waiting)
        elif state == "completed":
            if self.consult is None:
                self._log_answered()
            await self._release(t, told=True)
            self._finish(employee_of(ctx, self.answered))
            await self._connect(e, self.answered)
            ctx.s.crm.answered(ctx.call, self.answered)
        elif state == "cancelled":
            await self._drop_recipient()
            self._finish()
            await self._connect(e, t)
        elif state == "abandoned":
            self._finish()

    async def _after(self) -> None:
        """After the end. Abandoned: the transferer goes on with the recipient (still
        ringing, perhaps), or the call is over. Failed (nobody took a blind transfer): back
        to the transferer, whose phones ring again if they left."""
        ctx, t = self.ctx, self.transferer
        if self.state == "abandoned":
            if t.state == "gone":
                await self._drop_recipient()
                raise CallerGone()
            await ctx.stop_waiting()
            await self._stop_ringback()
            self.conv.serve(t)
            if self.answered is not None:  # they talk on in the consultation bridge
                self.conv.pair(t, self.answered)
            else:
                await self._tail(t, self.legs)
        elif self.state == "failed":
            back = t.state != "gone" and self.refer is not None  # its phone is still there
            self._finish(detail="back to the transferer" if back
                               else "the transferer's phones rang again")
            if self.refer is not None:
                await transfer_progress(ctx.s.ari, self.refer, DECLINED)
            if back:
                await self._connect(self.transferee, t)
            else:
                await self._tail(self.transferee, await self._recall())

    async def _tail(self, served: Leg, legs: list[Leg]) -> None:
        """`served` hears ringback while `legs` ring; the first to answer talks with them.
        Nobody: `served` hears that nobody is available and the call ends."""
        ctx = self.ctx
        self.legs, self.answered, self.state = legs, None, "tail"
        ctx.music_on_hold = False
        await ctx.start_waiting()
        while any(leg.state == "ringing" for leg in legs):
            event, leg = await self._next()
            if event == "transferee_gone":
                raise CallerGone()
            if event == "answered":
                await self._connect(served, leg)
                return
        await ctx.stop_waiting()
        await ctx.play_to_end(NOBODY_AVAILABLE.prompt)
        self.conv.over = True

    async def _recall(self) -> list[Leg]:
        """The transferer's phones ring again for the transferee they left."""
        ctx, t = self.ctx, self.transferer
        try:
            back = resolve(employee_of(ctx, t) or login_of(t) or "", ctx.s.catalog(),
                           ctx.s.presence(), ctx.s.outgoing(), None, None)
        except Refused as refused:
            log.event("call.transfer_recall_skipped", call=ctx.call.id, reason=str(refused))
            return []
        log.event("call.transfer_recall", call=ctx.call.id, to=back.label)
        return await self._ring(back.targets, identity(ctx, self.transferee))

    # -- events -----------------------------------------------------------------------------

    async def _next(self) -> tuple[str, Leg | None]:
        """The next thing that moves the transfer: (event, the leg that answered)."""
        ctx = self.ctx
        while True:
            ringing = [leg for leg in self.legs if leg.state == "ringing"]
            times = [t for t in (self.end if ringing else None, self.conv.keypads.deadline())
                     if t is not None]
            try:
                ev = await ctx.next_event(min(times) if times else None)
            except CallerGone:
                return "transferee_gone", None
            if ev is None:
                if ringing and ctx.loop_time() >= self.end:
                    await ctx.drop(ringing, "no_answer")
                    return "no_answer", None
                for channel_id, action in await self.conv.keypads.expire():
                    if (event := self._command(channel_id, action)) is not None:
                        return event, None
                continue
            found = await self._event(ev, ringing)
            if found is not None:
                return found

    async def _event(self, ev, ringing: list[Leg]) -> tuple[str, Leg | None] | None:
        ctx, t, r = self.ctx, self.transferer, self.answered
        leg = next((x for x in ringing if x.channel_id == ev.channel_id), None)
        if ev.type == "StasisStart" and leg is not None:
            ctx.took_call(leg)
            await ctx.drop(self.legs, "cancelled")
            return "answered", leg
        if ev.type == "PartyBusy" and leg is not None and not _call_waiting(ctx, leg):
            await ctx.drop([leg], "busy")
        if ev.channel_id == t.channel_id and t.state == "gone" and self.state != "tail":
            self._left(t)
            return "transferer_gone", None
        if r is not None and ev.channel_id == r.channel_id and r.state == "gone":
            return "recipient_gone", None
        if leg is not None and leg.state == "gone" and r is None \
                and not any(x.state == "ringing" for x in self.legs):
            return "declined", None
        if ev.type == "ChannelDtmfReceived":
            for action in await self.conv.keypads.press(ev):
                if (event := self._command(ev.channel_id, action)) is not None:
                    return event, None
        elif ev.type == TRANSFER_REQUEST:
            return self._request(ev)
        elif ev.type == "ChannelTransfer" and not ev.raw.get("state"):
            await transfer_progress(ctx.s.ari, ev.channel_id, DECLINED)  # one at a time
        elif ev.type == HANDOVER:
            refuse(ev.raw["reply"], "that call is in the middle of a transfer")
        return None

    def _command(self, channel_id: str, action) -> str | None:
        kind = getattr(action, "kind", None)
        if channel_id == self.transferer.channel_id and kind in ("complete", "cancel"):
            return kind
        return None

    def _request(self, ev) -> tuple[str, None] | None:
        action, reply = ev.raw["action"], ev.raw["reply"]
        if reply.done():
            return None  # the API gave up waiting: the request is void
        if action in ("complete", "cancel") and next_state(self.state, action) is not None:
            self.requests.append(reply)
            return action, None
        refuse(reply, "a transfer of this call is under way" if action == "transfer" else
               f"the transfer is {self.state}: it cannot be {DONE.get(action, action)} now")
        return None

    # -- what happens to the parties ---------------------------------------------------------

    def _shown(self) -> str:
        """The caller ID the recipient's phones show: an outgoing rule's number for an
        outside number, else the transferer (attended) or the transferee (blind)."""
        if self.recipient.caller_id:
            return f"<{self.recipient.caller_id}>"
        return identity(self.ctx, self.transferer if self.mode == "attended"
                        else self.transferee)

    async def _ring(self, targets, shown: str) -> list[Leg]:
        ctx = self.ctx
        started = await asyncio.gather(*(ctx.originate(t, ctx.s.transfer_ring_s, shown)
                                         for t in targets))
        self.end = ctx.loop_time() + ctx.s.transfer_ring_s
        return [leg for leg in started if leg is not None]

    async def _bridge(self, channels: list[str]) -> Bridge:
        ctx = self.ctx
        bridge = Bridge(await ctx.s.bridges.take())
        ctx.call.bridges[bridge.id] = bridge
        ctx.router.own(bridge.id, ctx)
        await ctx.quiet(ctx.join(bridge, channels))
        return bridge

    async def _unbridge(self) -> None:
        """The call's bridges go: each party is on its own (and hears its own media)."""
        ctx = self.ctx
        for bridge_id in list(ctx.call.bridges):
            del ctx.call.bridges[bridge_id]
            ctx.router.disown(bridge_id)
            await ctx.quiet(ctx.s.ari.destroy_bridge(bridge_id))
        self.consult = None

    async def _connect(self, served: Leg, other: Leg) -> None:
        """`served` and `other` talk: the call goes on with them (talk.py)."""
        await self._stop_ringback()
        self.conv.pair(served, other)
        await self._unbridge()
        try:
            await self.ctx.connect(other)
        except NotFound:
            pass  # one hung up meanwhile: its events end the call

    async def _release(self, leg: Leg, told: bool = False) -> None:
        """The transferer leaves the call. A REFER's phone is told, then given time to hang
        up by itself."""
        ctx = self.ctx
        self.conv.keypads.pads.pop(leg.channel_id, None)
        self._left(leg)
        if self.refer is not None:
            if told:
                await transfer_progress(ctx.s.ari, self.refer, ANSWERED)
            if leg.state != "gone":
                asyncio.get_running_loop().call_later(GRACE_S, lambda: ctx.router.spawn(
                    ctx.quiet(ctx.s.ari.hangup(leg.channel_id))))
        elif leg.state != "gone":
            leg.state = "gone"
            ctx.router.disown(leg.channel_id)
            await ctx.quiet(ctx.s.ari.hangup(leg.channel_id))

    def _left(self, leg: Leg) -> None:
        """`leg`'s party is on this call no more: no longer busy because of it."""
        ctx = self.ctx
        if leg.party in ctx.engaged:
            ctx.engaged.discard(leg.party)
            ctx.s.busy.release(leg.party, ctx.call.id)

    async def _drop_recipient(self) -> None:
        ctx, r = self.ctx, self.answered
        await ctx.drop(self.legs, "no_answer" if self.event == "no_answer" else "cancelled")
        if r is not None and r.state != "gone":
            self._left(r)
            r.state = "gone"
            ctx.router.disown(r.channel_id)
            await ctx.quiet(ctx.s.ari.hangup(r.channel_id))

    async def _stop_ringback(self) -> None:
        if self.ringback is not None:
            await self.ctx.quiet(self.ctx.s.ari.stop_playback(self.ringback))
            self.ringback = None

    def _log_answered(self) -> None:
        ctx, r = self.ctx, self.answered
        ctx.record(transfer_answered, ctx.call.id, self.seq, who(ctx, r), r.dial, now())
        log.event("call.transfer_answered", call=ctx.call.id, seq=self.seq,
                  recipient=who(ctx, r))

    def _finish(self, employee: str | None = None, detail: str | None = None) -> None:
        """The end in the call log."""
        ctx, r = self.ctx, self.answered
        result = result_of(self.state, self.event)
        recipient = who(ctx, r) if r is not None else None
        ctx.record(transfer_ended, ctx.call.id, self.seq, result, now(), recipient,
                   r.dial if r is not None else None, detail, employee)
        log.event("call.transfer_ended", call=ctx.call.id, seq=self.seq, result=result,
                  mode=self.mode, via=self.via, to=self.recipient.label, recipient=recipient)
