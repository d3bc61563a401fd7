"""The phone's transfer button: a REFER, which Asterisk hands to callctl as an ARI
`ChannelTransfer` event because the dialplan (callers) and the originate variables (legs,
context.ARI_TRANSFERS) set PJSIP_TRANSFER_HANDLING()=ari-only on every channel callctl
serves. Without that, Asterisk's core would carry a REFER out itself, with Local channels
callctl knows nothing of.

Blind (Refer-To: an extension or number): a transfer like any other (transfers/),
with the phone told how it goes. Attended (Refer-To with Replaces): the phone already made
the consultation itself, a second call of its own: that call hands its other party over to
this one, which bridges it with the party on hold; the phone is told, and hangs up both.

Asterisk sends this event again whenever the phone is told something (then with a
`state`): only the first one, without a state, is a request.
"""
from __future__ import annotations

import asyncio

from .. import log
from ..pbx.events import Event
from ..pbx.transfers import ANSWERED, DECLINED, transfer_progress
from ..store.transfers import transfer_ended, transfer_started
from .context import now
from .model import Leg
from .parties import employee_of, is_staff, who
from .transfers import GRACE_S, HANDOVER, Busy, refuse, start

HANDOVER_WAIT_S = 2  # the other call's answer; it only has to look at its two parties


async def on_refer(conv, ev: Event) -> None:
    if ev.raw.get("state"):
        return  # the progress of a REFER handled already
    ctx, source = conv.ctx, ev.channel_id
    transferer = conv.party(source)
    wanted = (ev.raw.get("refer_to") or {}).get("requested_destination") or {}
    if transferer is None or not is_staff(ctx, transferer):
        log.event("call.refer_declined", call=ctx.call.id, channel=source,
                  reason="not a staff phone of this call")
        await transfer_progress(ctx.s.ari, source, DECLINED)
    elif "protocol_id" not in wanted:
        await start(conv, "blind", "refer", transferer, wanted.get("destination", ""),
                    refer=source)
    else:
        await _replaces(conv, ev, transferer)


async def _replaces(conv, ev: Event, transferer: Leg) -> None:
    """An attended transfer the phone made itself: its consultation call (the one the
    REFER replaces) gives us its other party, who then talks with our transferee."""
    ctx, source = conv.ctx, ev.channel_id
    refer_to = ev.raw["refer_to"]
    replaced = (refer_to.get("destination_channel") or {}).get("id")
    other = ctx.router.owner(replaced) if replaced else None
    reason = None
    if other is None or other is ctx or getattr(other, "talk", None) is None:
        reason = "its consultation call is not a call callctl carries, or not answered"
    else:
        reply = asyncio.get_running_loop().create_future()
        other.deliver(Event(type=HANDOVER, raw={"channel": replaced, "to": ctx,
                                                "reply": reply}))
        try:
            recipient = await asyncio.wait_for(reply, HANDOVER_WAIT_S)
        except (asyncio.TimeoutError, Busy) as exc:
            reason = str(exc) or "its consultation call did not answer"
    if reason is not None:
        log.event("call.refer_declined", call=ctx.call.id, channel=source, reason=reason)
        await transfer_progress(ctx.s.ari, source, DECLINED)
        return
    await _join(conv, transferer, recipient, replaced, source, other.call.id,
                (refer_to.get("requested_destination") or {}).get("destination") or "")


async def _join(conv, transferer: Leg, recipient: Leg, replaced: str, source: str,
                consultation: str, asked: str) -> None:
    ctx = conv.ctx
    transferee = conv.other(transferer)
    conv.count += 1
    seq = conv.count
    ctx.record(transfer_started, ctx.call.id, seq, "attended", "refer", who(ctx, transferer),
               asked or who(ctx, recipient), who(ctx, recipient), now())
    ctx.call.legs[recipient.channel_id] = recipient
    ctx.engage(recipient.party)
    for leg in (transferer, Leg(replaced, "consult", state="up")):
        ctx.call.legs.setdefault(leg.channel_id, leg)  # the phone's two calls: they go
        ctx.router.own(leg.channel_id, ctx)
        if leg.party in ctx.engaged:
            ctx.engaged.discard(leg.party)
            ctx.s.busy.release(leg.party, ctx.call.id)
    conv.pair(transferee, recipient)
    bridges = list(ctx.call.bridges)
    await ctx.connect(recipient)
    for bridge_id in bridges:
        del ctx.call.bridges[bridge_id]
        ctx.router.disown(bridge_id)
        await ctx.quiet(ctx.s.ari.destroy_bridge(bridge_id))
    await transfer_progress(ctx.s.ari, source, ANSWERED)
    employee = employee_of(ctx, recipient)
    ctx.record(transfer_ended, ctx.call.id, seq, "completed", now(), who(ctx, recipient),
               recipient.dial, f"the phone's consultation call was {consultation}", employee)
    ctx.s.crm.answered(ctx.call, recipient)
    log.event("call.transfer_ended", call=ctx.call.id, seq=seq, result="completed",
              mode="attended", via="refer", to=who(ctx, recipient),
              recipient=who(ctx, recipient))
    loop = asyncio.get_running_loop()
    for channel_id in (source, replaced):  # the phone hangs up both once told; else we do
        loop.call_later(GRACE_S, lambda c=channel_id: ctx.router.spawn(
            ctx.quiet(ctx.s.ari.hangup(c))))


def hand_over(conv, ev: Event) -> None:
    """Another call takes the party that talks with `channel` (our side of a phone's
    consultation): they leave this call, which is then over."""
    ctx, reply, keeper = conv.ctx, ev.raw["reply"], ev.raw["to"]
    mine = conv.party(ev.raw["channel"])
    if mine is None or conv.transfer is not None or conv.other(mine).state != "up":
        refuse(reply, "the consultation call is not talking")
        return
    given = conv.other(mine)
    for leg in (mine, given):
        ctx.call.legs.pop(leg.channel_id, None)
        ctx.router.own(leg.channel_id, keeper)
        if leg.party in ctx.engaged:
            ctx.engaged.discard(leg.party)
            ctx.s.busy.release(leg.party, ctx.call.id)
        if leg.channel_id == ctx.caller:
            ctx.caller_alive = False  # not ours to hang up any more
    ctx.call.route.append(f"joined with call {keeper.call.id} by an attended transfer")
    log.event("call.handed_over", call=ctx.call.id, to=keeper.call.id,
              party=who(ctx, given))
    conv.over = True
    reply.set_result(Leg(given.channel_id, "callee", given.target, given.dial, "up",
                         given.party))
