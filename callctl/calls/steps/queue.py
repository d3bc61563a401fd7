"""Queue: the caller waits with music for the next free operator (offers come from the
dispatcher, calls/queues.py), hears the periodic announcement and where they stand, and goes
on with the scheme after the queue's max wait, or at once when nobody of the queue can take
calls. A caller who presses the queue's callback key is called back instead, in turn.
"""
from __future__ import annotations

import asyncio

from ... import log
from ...domain.flow import Prompt, Queue
from ...store import queue_log
from ..context import now
from ..outcome import NEXT, CallerGone, Outcome, answered, hangup

POSITION = (Prompt("queue-thereare", "asterisk"), Prompt("queue-callswaiting", "asterisk"))
FIRST = Prompt("queue-youarenext", "asterisk")
CALLBACK = "callback"  # what an offer ends with when the caller asks to be called back


async def run(ctx, step: Queue, deadline: float | None) -> Outcome:
    queue, rooms = step.queue, ctx.s.queues
    joined_at = ctx.resumed.pop(("queue", queue.name), None)  # a restart: same place
    why = rooms.can_join(queue)
    if why is not None:
        log.event("call.queue_skipped", call=ctx.call.id, queue=queue.name, reason=why)
        return NEXT
    end = ctx.until(min(step.timeout, queue.max_wait), deadline)
    await rooms.seed(queue)
    await ctx.stop_waiting()
    await ctx.answer()
    waiter = rooms.join(ctx, queue, joined_at)
    ctx.record(queue_log.joined, ctx.call.id, queue.name, now(), waiter.position)
    log.event("call.queued", call=ctx.call.id, queue=queue.name, position=waiter.position)
    await ctx.mark_step(f"queue:{queue.name}:{waiter.joined_at:.3f}")
    outcome, answered_by = "abandoned", None
    try:
        await _music(ctx, queue)
        announce_at = ctx.loop_time() + queue.announce_every if queue.announce_every else None
        while True:
            ev = await ctx.next_event(min(end, announce_at) if announce_at else end)
            if ev is None and ctx.loop_time() >= end:
                outcome = "timeout"
                log.event("call.queue_timeout", call=ctx.call.id, queue=queue.name)
                return NEXT
            if ev is None:
                await _announce(ctx, rooms, waiter)
                announce_at = ctx.loop_time() + queue.announce_every
            elif ev.type == "QueueEmpty":
                outcome = "next"
                log.event("call.queue_empty", call=ctx.call.id, queue=queue.name)
                return NEXT
            elif ev.type == "QueueOffer":
                leg = await _offer(ctx, rooms, waiter, ev.raw["operators"], end)
                if leg == CALLBACK:
                    outcome = "callback"
                    return await _callback(ctx, rooms, waiter)
                if leg is not None:
                    outcome, answered_by = "answered", leg.employee or leg.party
                    ctx.wrapup[leg.party] = queue.wrapup_seconds
                    ctx.at_end.append(lambda: rooms.call_ended(queue.name, leg.party))
                    return answered(leg)
            elif _asks_callback(ctx, queue, ev):
                outcome = "callback"
                return await _callback(ctx, rooms, waiter)
    finally:
        rooms.leave(waiter)
        ctx.record(queue_log.left, ctx.call.id, queue.name, now(), outcome, answered_by)
        log.event("call.queue_left", call=ctx.call.id, queue=queue.name, outcome=outcome)


async def _music(ctx, queue) -> None:
    """What a waiting caller hears: the queue's music, else Asterisk's music on hold."""
    if queue.music is None:
        await ctx.moh()
    else:
        ctx.loop_prompt(queue.music)


async def _announce(ctx, rooms, waiter) -> None:
    """The periodic announcement and, if the queue says so, where the caller stands."""
    queue = waiter.queue
    prompts = [queue.announcement]
    if queue.announce_position:
        ahead = rooms.room(queue.name).waiting.index(waiter)
        prompts += [FIRST] if ahead == 0 else \
            [POSITION[0], Prompt(f"number:{ahead}", "media"), POSITION[1]]
    await ctx.stop_waiting()
    for prompt in prompts:
        await ctx.play_to_end(prompt, ctx.until(60, None))
    await _music(ctx, queue)


def _asks_callback(ctx, queue, ev) -> bool:
    return ev.type == "ChannelDtmfReceived" and ev.channel_id == ctx.caller and \
        queue.callback_digit is not None and ev.digit == queue.callback_digit


async def _offer(ctx, rooms, waiter, offered, end: float):
    """Ring the offered operators; the leg that answers, None (they are offered to the
    next caller, or this one after the retry pause), or CALLBACK (the caller asked)."""
    queue = waiter.queue
    until = ctx.until(queue.ring_seconds, end)
    started = await asyncio.gather(*(ctx.originate(t, until - ctx.loop_time())
                                     for op in offered for t in op.targets))
    legs = {leg.channel_id: leg for leg in started if leg is not None}
    log.event("call.queue_offer", call=ctx.call.id, queue=queue.name,
              operators=",".join(o.party for o in offered))
    try:
        while any(leg.state == "ringing" for leg in legs.values()):
            ev = await ctx.next_event(until)
            if ev is None:
                await ctx.drop(list(legs.values()), "no_answer")
                break
            if _asks_callback(ctx, queue, ev):
                await ctx.drop(list(legs.values()), "cancelled")
                rooms.offer_ended(waiter)
                return CALLBACK
            leg = legs.get(ev.channel_id)
            if leg is None or leg.state != "ringing":
                continue
            if ev.type == "StasisStart":
                ctx.took_call(leg)
                await ctx.drop(list(legs.values()), "cancelled")
                rooms.offer_ended(waiter, answered_by=leg.party)
                await ctx.stop_waiting()
                return leg
            if ev.type == "PartyBusy":  # took another call meanwhile
                await ctx.drop([leg], "busy")
    except CallerGone:
        await ctx.drop(list(legs.values()), "cancelled")
        raise
    rooms.offer_ended(waiter)
    return None


async def _callback(ctx, rooms, waiter) -> Outcome:
    """Keep the caller's place in line as a callback; the caller hangs up meanwhile."""
    await rooms.callback(waiter)
    await ctx.stop_waiting()
    await ctx.play_to_end(Prompt("queue-callback", "default"), ctx.until(20, None))
    log.event("call.queue_callback", call=ctx.call.id, queue=waiter.queue.name)
    return hangup("callback", f"to be called back from queue {waiter.queue.name!r}")
