"""Who the parties of a call are, for transfers: staff or customer, the employee, the
caller ID another phone shows for them, the name the call log gives them."""
from __future__ import annotations

from ..domain.flow import Target
from ..pbx.dial import dial_string
from .context import CallContext
from .model import Leg


def caller_leg(ctx: CallContext) -> Leg:
    """The call's caller as a party: a staff phone (internal and outgoing calls) or the
    customer (inbound)."""
    call = ctx.call
    if call.kind == "internal" and call.caller_login:
        owner = ctx.s.catalog().directory.by_login(call.caller_login)
        target = Target("sip", call.caller_login, owner.name if owner else None)
    else:
        target = Target("phone", call.caller_number)
    return Leg(call.id, "caller", target, dial_string(target, ctx.s.trunk), state="up")


def employee_of(ctx: CallContext, leg: Leg) -> str | None:
    """The employee a party is (legs adopted after a restart know only their party)."""
    if leg.employee:
        return leg.employee
    return leg.party if leg.party and ctx.s.catalog().directory.employee(leg.party) else None


def is_staff(ctx: CallContext, leg: Leg) -> bool:
    """A staff phone (its keypad and its REFERs are read), not a customer."""
    return bool((leg.target is not None and leg.target.kind == "sip")
                or employee_of(ctx, leg) or (leg.party or "").startswith("sip:"))


def login_of(leg: Leg) -> str | None:
    if leg.target is not None and leg.target.kind == "sip":
        return leg.target.address
    party = leg.party or ""
    return party[4:] if party.startswith("sip:") else None


def identity(ctx: CallContext, leg: Leg) -> str:
    """A party as the caller ID another phone shows."""
    employee = ctx.s.catalog().directory.employee(employee_of(ctx, leg) or "")
    if employee is not None:
        return f'"{employee.name}" <{employee.extension}>'
    if leg.channel_id == ctx.call.id:
        name = f'"{ctx.call.caller_name}" ' if ctx.call.caller_name else ""
        return f"{name}<{ctx.call.caller_number}>"
    if leg.target is not None and leg.target.kind == "phone":
        return f"<{leg.target.address}>"
    return ctx.caller_id_for_legs()


def who(ctx: CallContext, leg: Leg) -> str:
    """A party for the call log: the employee, else the number or the account."""
    employee = employee_of(ctx, leg)
    if employee:
        return employee
    if leg.channel_id == ctx.call.id:
        return ctx.call.caller_name or ctx.call.caller_number
    return leg.target.address if leg.target is not None else (leg.party or leg.dial)
