"""Menu: the greeting plays, a digit (pressed during it or after) picks a direction, which
is planned as the directory is at that moment and run within the menu block's budget.

An invalid digit or none plays a short prompt and the greeting again; after `retries` of
those the menu's final direction is taken (or the scheme's next step).
"""
from __future__ import annotations

from ... import log
from ...domain.flow import Menu
from ...domain.ivr import DIGITS
from ...domain.planner import plan_direction
from ...domain.scheme import Direction
from ..context import now
from ..outcome import NEXT, Outcome, hangup


async def run(ctx, step: Menu, deadline: float | None) -> Outcome:
    menu = step.menu
    end = ctx.until(step.timeout, deadline)
    await ctx.stop_waiting()
    await ctx.answer()
    await ctx.mark_step(f"menu:{menu.name}")
    log.event("call.menu", call=ctx.call.id, menu=menu.name)
    before, misses = None, 0  # the prompt that explains a miss, played before the greeting
    while True:
        digit = await ctx.play_to_end(before, end, DIGITS) if before else None
        if digit is None:
            digit = await ctx.play_to_end(menu.greeting, end, DIGITS)
        if digit is None:
            digit = await _wait_digit(ctx, ctx.until(menu.digit_timeout, end))
        if digit is None and ctx.loop_time() >= end:
            log.event("call.menu_timeout", call=ctx.call.id, menu=menu.name)
            return NEXT
        choice = menu.choice(digit) if digit is not None else None
        if choice is not None and choice.kind == "repeat":
            before = None
            continue
        if choice is not None:
            return await _follow(ctx, step, choice, end, digit)
        misses += 1
        before = menu.invalid_prompt if digit is not None else menu.no_input_prompt
        log.event("call.menu_miss", call=ctx.call.id, menu=menu.name, digit=digit,
                  miss=misses)
        if misses > menu.retries:
            await ctx.play_to_end(before, end)
            if menu.final is None:
                ctx.call.route.append(f"menu {menu.name!r}: no choice")
                return NEXT
            return await _follow(ctx, step, menu.final, end, "final")


async def _wait_digit(ctx, until: float) -> str | None:
    while True:
        ev = await ctx.next_event(until)
        if ev is None:
            return None
        if ev.type == "ChannelDtmfReceived" and ev.channel_id == ctx.caller \
                and ev.digit in DIGITS:
            return ev.digit


async def _follow(ctx, step: Menu, choice: Direction, end: float, key: str) -> Outcome:
    menu = step.menu
    ctx.call.route.append(f"menu {menu.name!r}: {key} -> {choice}")
    log.event("call.menu_choice", call=ctx.call.id, menu=menu.name, key=key,
              choice=str(choice))
    if choice.kind == "hangup":
        return hangup("ivr", f"the caller chose to end the call in menu {menu.name!r}")
    plan = plan_direction(choice, ctx.s.catalog(), ctx.s.presence(), now(), ctx.s.timezone,
                          menu.ring_timeout, step.off_hours)
    log.event("call.planned", call=ctx.call.id, menu=menu.name, key=key,
              steps=len(plan.steps))
    return await ctx.run_steps(plan.steps, end)
