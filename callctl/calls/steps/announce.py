"""Announce: a prompt. One that ends the call is early media (183, then the SIP status of
its cause), so a caller nobody could take is not billed for hearing why."""
from __future__ import annotations

from ... import log
from ...domain.flow import Announce
from ..outcome import NEXT, Outcome, hangup

PROMPT_GUARD_S = 30  # a prompt that never reports its end still ends the call
LOG_EVENTS = {"missed": "call.unanswered", "not_in_service": "call.not_in_service",
              "barred": "call.barred", "failed": "call.not_placed"}


async def run(ctx, step: Announce, deadline: float | None) -> Outcome:
    await ctx.stop_waiting()
    if step.cause is not None:
        log.event(LOG_EVENTS.get(step.outcome, "call.announced"), call=ctx.call.id,
                  number=ctx.call.dialled, prompt=str(step.prompt), cause=step.cause)
        if not ctx.caller_up:
            await ctx.progress()
    await ctx.play_to_end(step.prompt, ctx.until(PROMPT_GUARD_S, None))
    if step.cause is None:
        return NEXT
    ctx.hangup_cause = step.cause
    return hangup(step.outcome)
