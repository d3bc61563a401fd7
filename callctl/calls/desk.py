"""Live calls and transfers for the API (the operator workspace): the daemon's own call
sessions are the source. A request goes into the call's event queue like any event, so
one task still does everything to a call; the answer comes back through a future.
"""
from __future__ import annotations

import asyncio
from datetime import timezone

from ..domain.transfer import HEARS
from ..pbx.events import Event
from .model import Leg
from .parties import employee_of, is_staff, who
from .transfers import TRANSFER_REQUEST, Busy, refuse, start

REQUEST_WAIT_S = 5  # a call answers a request at once; more means it is stuck meanwhile


class NotLive(LookupError):
    """No such call in progress here; str() says so."""


class TransferDesk:
    def __init__(self, router):
        self.router = router

    def active(self, employees: set[str] | None = None) -> list[dict]:
        """Live calls, newest first: every one (None), or those one of `employees` is a
        party of (talking, ringing, on hold, transferring)."""
        views = [view(s) for s in self.router.sessions if s.task is not None]
        if employees is not None:
            views = [v for v in views if employees & set(v["employees"])]
        return sorted(views, key=lambda v: v["started_at"], reverse=True)

    def employees_of(self, call_id: str) -> list[str]:
        return view(self._session(call_id))["employees"]

    async def transfer(self, call_id: str, by: str | None, to: str, mode: str) -> dict:
        return await self._ask(call_id, "transfer", by=by, to=to, mode=mode)

    async def complete(self, call_id: str, by: str | None) -> dict:
        return await self._ask(call_id, "complete", by=by)

    async def cancel(self, call_id: str, by: str | None) -> dict:
        return await self._ask(call_id, "cancel", by=by)

    def _session(self, call_id: str):
        session = next((s for s in self.router.sessions if s.call.id == call_id), None)
        if session is None:
            raise NotLive(f"no call {call_id!r} is in progress")
        return session

    async def _ask(self, call_id: str, action: str, **fields) -> dict:
        session = self._session(call_id)
        if session.ctx.talk is None:
            raise Busy("the call is not answered yet: only a call someone talks in can be "
                       "transferred")
        reply = asyncio.get_running_loop().create_future()
        session.deliver(Event(type=TRANSFER_REQUEST, raw={"action": action, "reply": reply,
                                                          **fields}))
        try:
            return await asyncio.wait_for(reply, REQUEST_WAIT_S)
        except asyncio.TimeoutError:
            raise Busy("the call did not take the request in time; try again", 503) from None


async def serve(conv, ev: Event) -> None:
    """A request to a call that is not in a transfer: only a new transfer makes sense."""
    raw, reply = ev.raw, ev.raw["reply"]
    if reply.done():
        return  # the API gave up waiting: the request is void
    if raw["action"] != "transfer":
        refuse(reply, f"no transfer of this call is under way: nothing to {raw['action']}")
        return
    staff = [p for p in conv.parties() if is_staff(conv.ctx, p)]
    by = raw.get("by")
    mine = [p for p in staff if employee_of(conv.ctx, p) == by] if by else staff
    if len(mine) != 1:
        refuse(reply, f"{by} does not talk in this call" if by else
               "say who transfers: more than one employee talks in this call", 422)
        return
    await start(conv, raw.get("mode", "blind"), "api", mine[0], raw.get("to", ""),
                reply=reply)


def view(session) -> dict:
    """A live call as the API lists it."""
    call, ctx = session.call, session.ctx
    conv, parties = ctx.talk, []
    if conv is None:
        parties.append(_party(ctx, None, "caller", "waiting", session.caller))
        parties += [_party(ctx, leg, "callee", "ringing") for leg in call.ringing()]
    elif conv.transfer is None:
        parties += [_party(ctx, leg, role, "talking")
                    for leg, role in zip(conv.parties(), ("caller", "callee"))]
    else:
        t = conv.transfer
        hears = HEARS.get(t.state, ("talking", "talking", "talking"))
        parties.append(_party(ctx, t.transferee, "transferee", hears[0]))
        if t.transferer.state != "gone":
            parties.append(_party(ctx, t.transferer, "transferer", hears[1]))
        recipients = [t.answered] if t.answered is not None else \
            [leg for leg in t.legs if leg.state == "ringing"]
        parties += [_party(ctx, leg, "recipient", hears[2]) for leg in recipients]
    return {"call_id": call.id, "direction": call.direction or call.kind,
            "number": call.dialled, "caller": call.caller_number,
            "caller_name": call.caller_name or None,
            "started_at": call.started_at.astimezone(timezone.utc).isoformat(
                timespec="seconds"),
            "state": "ringing" if conv is None else
            "talking" if conv.transfer is None else "transferring",
            "parties": parties,
            "employees": sorted({p["employee"] for p in parties if p["employee"]}),
            "transfer": conv.transfer.view() if conv is not None and conv.transfer else None}


def _party(ctx, leg: Leg | None, role: str, state: str, channel: str | None = None) -> dict:
    if leg is None:
        name = ctx.call.caller_name or ctx.call.caller_number
        employee = ctx.s.catalog().directory.by_login(ctx.call.caller_login) \
            if ctx.call.kind == "internal" else None
        return {"name": employee.name if employee else name,
                "employee": employee.name if employee else None, "role": role,
                "state": state, "channel": channel}
    return {"name": who(ctx, leg), "employee": employee_of(ctx, leg), "role": role,
            "state": state, "channel": leg.channel_id}
