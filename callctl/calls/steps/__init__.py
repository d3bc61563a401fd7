"""One module per step kind, each with `run(ctx, step, deadline) -> Outcome`.

`deadline` (loop time, or None) is the enclosing block's budget: a menu's choices must be
answered within the menu block's timeout. Adding a step kind is a dataclass in
domain/flow.py, a module here and a line in RUNNERS; the session does not change.
"""
from __future__ import annotations

from ...domain.flow import Announce, Menu, Queue, Ring, Step, Voicemail
from ...domain.outgoing import DialOut
from ...domain.remote import Manager, Webhook
from ..outcome import NEXT, Outcome
from . import announce, dialout, menu, queue, remote, ring, voicemail

RUNNERS = {Ring: ring.run, Menu: menu.run, Voicemail: voicemail.run, Announce: announce.run,
           DialOut: dialout.run, Webhook: remote.run_webhook, Manager: remote.run_manager,
           Queue: queue.run}


async def run_steps(ctx, steps: tuple[Step, ...], deadline: float | None) -> Outcome:
    """Run steps in order until one ends the walk (answered, hangup); NEXT if none did."""
    for step in steps:
        if deadline is not None and ctx.loop_time() >= deadline:
            return NEXT
        outcome = await RUNNERS[type(step)](ctx, step, deadline)
        if outcome.kind != "next":
            return outcome
    return NEXT
