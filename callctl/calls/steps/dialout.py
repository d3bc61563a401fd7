"""DialOut: a staff phone's call to an outside number goes out through the trunk showing
the caller ID the rules chose (the leg is originated with it as callerId, which Asterisk
sends to the carrier in From and, where the trunk says so, in the identity headers)."""
from __future__ import annotations

from ... import log
from ...domain.flow import Ring
from ...domain.outgoing import DialOut
from ...store.calls import CallLog
from ..outcome import Outcome
from . import ring


async def run(ctx, step: DialOut, deadline: float | None) -> Outcome:
    call = ctx.call
    owner = ctx.s.catalog().directory.by_login(call.caller_login)
    employee = owner.name if owner else None
    call.direction = "outgoing"
    ctx.legs_caller_id = f"<{step.caller_id}>"
    ctx.record(CallLog.outgoing, call.id, employee, step.caller_id, step.target.address)
    call.route.append(f"out through the trunk showing {step.caller_id} ({step.rule})")
    log.event("call.outgoing", call=call.id, employee=employee, login=call.caller_login,
              number=step.target.address, caller_id=step.caller_id)
    return await ring.run(ctx, Ring((step.target,), step.timeout), deadline)
