"""Voicemail: greeting ('#' skips it), beep, a message of up to the box's length, ended by
'#', by silence or by hanging up. What was said is kept in every case: the recording is
handed to the mailroom (voicemail/mailroom.py), which stores it and tells the box's people.
"""
from __future__ import annotations

import logging

from ... import log
from ...domain.flow import Prompt, Voicemail
from ...store.calls import CallLog
from ..context import now
from ..outcome import CallerGone, Outcome, hangup

GOODBYE = Prompt("vm-goodbye", "asterisk")
MIN_SECONDS = 1  # shorter is a hang-up after the beep, not a message
FINISH_GUARD_S = 10  # Asterisk reports the end of a recording within this, even on hang-up


def recording_name(call_id: str) -> str:
    return f"callctl-vm-{call_id}"


async def run(ctx, step: Voicemail, deadline: float | None) -> Outcome:
    box = step.box
    await ctx.stop_waiting()
    await ctx.answer()
    name = recording_name(ctx.call.id)
    await ctx.mark_step(f"voicemail:{box.name}")
    ctx.record(CallLog.voicemail_started, ctx.call.id, box.name)
    ctx.call.route.append(f"voicemail {box.name!r}")
    await ctx.play_to_end(step.greeting, None, "#")
    ctx.router.own(name, ctx)
    try:
        await ctx.start_recording(name, box.max_seconds, box.silence_seconds)
        log.event("call.voicemail_recording", call=ctx.call.id, box=box.name)
        seconds = await wait_recorded(ctx, name, box.max_seconds + FINISH_GUARD_S)
    finally:
        ctx.router.disown(name)
    return await finish(ctx, box, name, seconds)


async def wait_recorded(ctx, name: str, guard: float) -> int | None:
    """The message's length once Asterisk has stored it; None if it failed or never
    reported. A caller hanging up ends the recording; its report still follows."""
    until = ctx.until(guard, None)
    while True:
        try:
            ev = await ctx.next_event(until)
        except CallerGone:
            until = min(until, ctx.until(FINISH_GUARD_S, None))
            continue
        if ev is None:
            log.event("call.voicemail_lost", logging.WARNING, call=ctx.call.id, recording=name)
            return None
        if ev.recording == name and ev.type == "RecordingFinished":
            return int(ev.raw["recording"].get("duration") or 0)
        if ev.recording == name and ev.type == "RecordingFailed":
            log.event("call.voicemail_failed", logging.WARNING, call=ctx.call.id,
                      cause=ev.raw["recording"].get("cause"))
            return None


async def finish(ctx, box, name: str, seconds: int | None, measured: bool = True) -> Outcome:
    """`measured`: Asterisk reported the length (None: nothing was recorded); otherwise the
    recording was found stored after a restart and the mailroom measures it."""
    if measured and (seconds is None or seconds < MIN_SECONDS):
        ctx.s.mailroom.discard(name)
        return hangup("missed", "the caller hung up without leaving a message")
    ctx.s.mailroom.take(ctx.call, box, name, seconds, now())
    log.event("call.voicemail", call=ctx.call.id, box=box.name, seconds=seconds)
    if ctx.caller_alive:
        try:
            await ctx.play_to_end(GOODBYE, ctx.until(5, None))
        except CallerGone:
            pass
    return hangup("voicemail", f"a message for {box.name!r}")


async def resume(ctx, box_name: str) -> Outcome | None:
    """After a daemon restart, for a caller who was in box `box_name`: a recording still
    running is waited for, one finished meanwhile is kept, else the voicemail starts over.
    None when the box no longer exists."""
    box = ctx.s.catalog().boxes.get(box_name)
    if box is None:
        return None
    name = recording_name(ctx.call.id)
    ari = ctx.s.ari
    if await ari.quietly("GET", f"/recordings/live/{name}") is not None:
        ctx.router.own(name, ctx)
        seconds = await wait_recorded(ctx, name, box.max_seconds + FINISH_GUARD_S)
        return await finish(ctx, box, name, seconds)
    if await ari.quietly("GET", f"/recordings/stored/{name}") is not None:
        return await finish(ctx, box, name, None, measured=False)
    return await run(ctx, Voicemail(box, box.greeting_for(False)), None)
