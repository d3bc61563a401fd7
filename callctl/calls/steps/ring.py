"""Ring: targets ring together; the first to answer takes the call, the rest are cancelled."""
from __future__ import annotations

import asyncio

from ... import log
from ...domain.flow import Ring
from ..outcome import NEXT, Outcome, answered


async def run(ctx, step: Ring, deadline: float | None) -> Outcome:
    end = ctx.until(step.timeout, deadline)
    seconds = end - ctx.loop_time()
    if seconds <= 0:
        return NEXT
    await ctx.start_waiting()
    started = await asyncio.gather(*(ctx.originate(t, seconds) for t in step.targets))
    legs = {leg.channel_id: leg for leg in started if leg is not None}
    if not legs:
        log.event("call.block_skipped", call=ctx.call.id, reason="no leg could be dialled")
        return NEXT
    while any(leg.state == "ringing" for leg in legs.values()):
        ev = await ctx.next_event(end)
        if ev is None:
            log.event("call.block_timeout", call=ctx.call.id, timeout_s=step.timeout)
            await ctx.drop(list(legs.values()), "no_answer")
            return NEXT
        leg = legs.get(ev.channel_id)
        if leg is None or leg.state != "ringing":
            continue
        if ev.type == "StasisStart":  # the leg answered
            ctx.took_call(leg)
            await ctx.drop(list(legs.values()), "cancelled")
            return answered(leg)
        if ev.type == "PartyBusy" and not _call_waiting(ctx, leg):
            log.event("call.leg_busy", call=ctx.call.id, leg=leg.dial, employee=leg.employee)
            await ctx.drop([leg], "busy")
    return NEXT  # every leg ended by itself (declined, unreachable)


def _call_waiting(ctx, leg) -> bool:
    employee = ctx.s.catalog().directory.employee(leg.employee) if leg.employee else None
    return employee is not None and employee.call_waiting
