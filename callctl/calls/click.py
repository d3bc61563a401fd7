"""Click-to-call: the employee's phone rings first; when they answer, their channel becomes
an ordinary staff call to the destination (an extension, a company number, or an outside
number with the caller ID the rules choose), so the call log has one call with both legs.

The employee's channel is originated into the app with a chosen id and owned here until it
answers (its StasisStart) or ends unanswered (then the attempt is logged as missed).
"""
from __future__ import annotations

import logging

from .. import log
from ..domain.outgoing import outside_number
from ..pbx.ari import AriError
from ..store.calls import CallLog
from .context import CALL_VAR, PARTY_VAR, GONE, Services, new_id, now
from .session import CallSession

RING_EMPLOYEE_S = 30


class ClickError(ValueError):
    """A click-to-call that cannot be placed; str() says why (nothing was dialled)."""


class ClickToCall:
    def __init__(self, services: Services, router):
        self.s, self.router = services, router

    def resolve(self, who: str, to: str) -> tuple[str, str, str | None]:
        """(SIP login that rings first, what it then dials, the employee) or ClickError."""
        catalog, presence = self.s.catalog(), self.s.presence()
        directory = catalog.directory
        employee = directory.employee(who)
        if employee is not None:
            logins = [x for x in employee.sip_logins if presence.sip_reachable(x)]
            if not logins:
                raise ClickError(f"from: {who!r} has no registered SIP phone to ring first")
            login = logins[0]
        elif directory.by_login(who) or any(a.login == who for a in directory.sip_accounts):
            if not presence.sip_reachable(who):
                raise ClickError(f"from: SIP account {who!r} is not registered")
            login, employee = who, directory.by_login(who)
        else:
            raise ClickError(f"from: {who!r} is neither an employee nor a SIP account")
        to = "".join(str(to).split()) if isinstance(to, str) else ""
        if not to:
            raise ClickError("to: say what to call: an extension or a phone number")
        if directory.by_extension(to) is None and directory.number(to) is None:
            number = outside_number(to, catalog, self.s.country)
            if number is None:
                raise ClickError(f"to: {to!r} is neither an extension nor a phone number")
            to = number
        return login, to, employee.name if employee else None

    async def place(self, who: str, to: str) -> dict:
        login, to, employee = self.resolve(who, to)
        call_id = new_id("click")
        attempt = _Attempt(self, call_id, login, to, employee)
        self.router.own(call_id, attempt)
        try:
            await self.s.ari.originate(f"PJSIP/{login}", call_id, "click",
                                       caller_id=f'"{to}" <{to}>',
                                       timeout=RING_EMPLOYEE_S,
                                       variables={CALL_VAR: call_id, PARTY_VAR: employee
                                                  or f"sip:{login}"})
        except AriError as exc:
            self.router.disown(call_id)
            raise ClickError(f"from: {login!r} could not be rung: {exc}") from None
        log.event("call.click", call=call_id, login=login, to=to, employee=employee)
        return {"call_id": call_id, "from": login, "employee": employee, "to": to,
                "state": "ringing the employee"}


class _Attempt:
    """The employee's channel until it answers or ends."""

    def __init__(self, click: ClickToCall, call_id: str, login: str, to: str,
                 employee: str | None):
        self.click, self.call_id, self.login, self.to = click, call_id, login, to
        self.employee = employee

    def deliver(self, ev) -> None:
        click, router = self.click, self.click.router
        if ev.type == "StasisStart":
            router.disown(self.call_id)
            channel = {**ev.channel, "caller": {"number": self.login,
                                                "name": self.employee or ""}}
            session = CallSession(click.s, router, channel, "internal", self.to)
            session.call.route.append(f"click-to-call: {self.login} answered")
            router.start(session)
        elif ev.type in GONE:
            router.disown(self.call_id)
            log.event("call.click_unanswered", logging.INFO, call=self.call_id,
                      login=self.login, cause=ev.raw.get("cause_txt"))
            recorder, at = click.s.recorder, now()
            recorder.submit(CallLog.started, self.call_id, "outgoing", self.to, self.login,
                            at, self.employee)
            recorder.submit(CallLog.ended, self.call_id, "missed", at,
                            "click-to-call: the employee's phone did not answer",
                            f"click-to-call: rang {self.login}")
