"""The talk phase: caller and the person who answered are bridged until one hangs up."""
from __future__ import annotations

from .. import log
from ..pbx.ari import NotFound
from ..store.calls import CallLog
from .context import CallContext, now
from .model import Leg


async def talk(ctx: CallContext, leg: Leg) -> None:
    ctx.record(CallLog.answered, ctx.call.id, leg.employee, leg.dial, now())
    ctx.s.crm.answered(ctx.call, leg)
    ctx.s.events.answered(ctx.call, leg)
    try:
        await ctx.connect(leg)
    except NotFound:
        pass  # someone hung up at the moment of answer: the events below say who
    log.event("call.answered", call=ctx.call.id, employee=leg.employee, leg=leg.dial)
    await hold_until_hangup(ctx, leg)


async def hold_until_hangup(ctx: CallContext, leg: Leg) -> None:
    """Until the callee hangs up (the caller hanging up raises CallerGone)."""
    while leg.state != "gone":
        await ctx.next_event(None)
    log.event("call.hangup", call=ctx.call.id, by="callee")
