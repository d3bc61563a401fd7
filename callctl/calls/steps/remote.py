"""Webhook and Manager: where the call goes is asked when it gets there (the customer's
webhook handler, the CRM), then planned as the directory is at that moment and run within
the block's budget, which the question itself spends too. No usable answer: the reason goes
to the call log and the call goes on with the next block at once."""
from __future__ import annotations

import logging
import math

from ... import log
from ...domain.planner import plan_direction
from ...domain.remote import Manager, Webhook, webhook_answer
from ...domain.scheme import Direction, direction_problem
from ..context import now
from ..outcome import NEXT, Outcome


async def run_webhook(ctx, step: Webhook, deadline: float | None) -> Outcome:
    end = ctx.until(step.timeout, deadline)
    await ctx.start_waiting()  # the caller hears ringing while the handler thinks
    call, where = ctx.call, f"webhook {step.name!r}"
    if ctx.s.webhooks is None:
        return _skip(ctx, where, "no webhooks are configured")
    payload = {"call_id": call.id, "caller": call.caller_number,
               "caller_name": call.caller_name or None, "number": call.dialled,
               "time": now().isoformat()}
    answer, why = await ctx.s.webhooks.ask(step.name, payload, end - ctx.loop_time())
    if answer is None:
        return _skip(ctx, where, why)
    try:
        direction = webhook_answer(answer, ctx.s.country)
    except ValueError as exc:
        return _skip(ctx, where, f"bad answer: {exc}")
    problem = direction_problem(direction, ctx.s.catalog().known())
    if problem is not None:
        return _skip(ctx, where, f"unknown target: {problem}")
    return await _follow(ctx, where, direction, end, step.off_hours)


async def run_manager(ctx, step: Manager, deadline: float | None) -> Outcome:
    end = ctx.until(step.timeout, deadline)
    where = f"responsible manager ({', '.join(step.order)})"
    employee, why = await ctx.s.crm.responsible(ctx.call.caller_number, step.order,
                                                end - ctx.loop_time())
    if employee is None:
        return _skip(ctx, where, why)
    return await _follow(ctx, where, Direction("employee", employee), end, False, why)


async def _follow(ctx, where: str, direction: Direction, end: float, off_hours: bool,
                  why: str = "") -> Outcome:
    seconds = max(1, math.ceil(end - ctx.loop_time()))  # the block's end bounds it
    plan = plan_direction(direction, ctx.s.catalog(), ctx.s.presence(), now(), ctx.s.timezone,
                          seconds, off_hours)
    ctx.call.route.append(f"{where} -> {direction}" + (f" ({why})" if why else ""))
    log.event("call.routed_remotely", call=ctx.call.id, by=where, to=str(direction),
              steps=len(plan.steps), reason=plan.format_trace())
    if not plan.steps:
        ctx.call.route.append(f"{direction}: nobody reachable")
        return NEXT
    return await ctx.run_steps(plan.steps, end)


def _skip(ctx, where: str, why: str) -> Outcome:
    ctx.call.route.append(f"{where}: {why}: next block")
    log.event("call.remote_skipped", logging.WARNING, call=ctx.call.id, by=where, reason=why)
    return NEXT
