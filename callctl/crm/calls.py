"""What calls tell the CRM, and ask it: the daemon's side of the CRM.

`started`, `answered`, `ended` are called by the call engine and never wait: they queue the
CRM call events (integrations/crm_events.py) and leave the card work (a new caller's card,
a missed call's call-back task) to a background task that writes off the event loop.
`responsible` answers the `crm_manager` direction within its time bound, from the
built-in client cards or the external CRM.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

from .. import log

ANONYMOUS = ("anonymous", "", "unknown")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class NoCrm:
    """No CRM configured: nothing is posted, nobody is responsible."""

    def started(self, call) -> None: ...
    def answered(self, call, leg) -> None: ...
    def ended(self, call, outcome: str) -> None: ...

    async def responsible(self, caller: str, order, budget_s: float):
        return None, "no CRM is configured"


def never_raises(hook):
    """A CRM hook that fails is logged; the call it was called from goes on."""
    def guarded(self, *args):
        try:
            hook(self, *args)
        except Exception as exc:
            log.event("crm.hook_failed", logging.WARNING, hook=hook.__name__, error=repr(exc))
    guarded.__name__ = hook.__name__
    return guarded


class CallCrm(NoCrm):
    def __init__(self, config, service=None, events=None, http=None, catalog=None):
        """`config`: config.CrmConfig; `service`: CrmService (cards; built-in lookups);
        `events`: CrmEvents or None; `http`: HttpCrm when config.source is http;
        `catalog()`: the daemon's Catalog (a number's employee takes call-backs)."""
        self.config, self.service, self.events, self.http = config, service, events, http
        self.catalog = catalog
        self.users: dict[str, str] = {}  # CRM user id -> employee; reloaded with the directory
        self._tasks: set[asyncio.Task] = set()

    def crm_user(self, employee: str | None) -> str | None:
        return next((u for u, e in self.users.items() if e == employee), None)

    # -- events ---------------------------------------------------------------------------

    def _event(self, name: str, call, **more) -> None:
        if self.events is not None:
            self.events.post({"event": name, "call_id": call.id, "time": _now(),
                              "direction": call.direction or call.kind,
                              "caller": call.caller_number, "number": call.dialled, **more})

    @never_raises
    def started(self, call) -> None:
        self._event("call.started", call)
        if self.config.cards and call.kind == "inbound" and self.service is not None \
                and call.caller_number not in ANONYMOUS:
            self._background(self.service.card_for_caller, call.caller_number)

    @never_raises
    def answered(self, call, leg) -> None:
        employee = leg.employee
        if call.direction == "outgoing":  # the person called out; the employee dialled
            employee = self._caller(call)
        self._event("call.answered", call, employee=employee,
                    crm_user_id=self.crm_user(employee))

    @never_raises
    def ended(self, call, outcome: str) -> None:
        employee = call.answered.employee if call.answered is not None else None
        if call.direction == "outgoing":
            employee = self._caller(call)
        self._event("call.ended", call, outcome=outcome, employee=employee,
                    crm_user_id=self.crm_user(employee))
        if outcome == "missed" and call.kind == "inbound" and self.config.cards \
                and self.service is not None and call.caller_number not in ANONYMOUS:
            self._background(self._call_back, call)

    def _caller(self, call) -> str | None:
        owner = self.catalog().directory.by_login(call.caller_login) if self.catalog else None
        return owner.name if owner else None

    def _call_back(self, call) -> None:
        """In a worker thread: the task goes to whoever is responsible for the caller, else
        to the employee of the number called."""
        found = self.service.responsible_for(call.caller_number, ("lead", "contact", "deal"))
        who = found[0] if found else None
        if who is None and self.catalog is not None:
            number = self.catalog().directory.number(call.dialled)
            who = number.employee if number else None
        task = self.service.call_back(call.id, call.caller_number, who,
                                      timedelta(minutes=self.config.call_back_minutes))
        log.event("crm.call_back", call=call.id, task=task["id"], employee=who,
                  due=task["due_at"])

    def _background(self, fn, *args) -> None:
        async def run():
            try:
                await asyncio.to_thread(fn, *args)
            except Exception as exc:
                log.event("crm.write_failed", logging.WARNING, error=repr(exc))
        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- responsible manager ------------------------------------------------------------------

    async def responsible(self, caller: str, order, budget_s: float):
        """(employee, why) or (None, why not), within the lookup bound and `budget_s`."""
        seconds = min(self.config.lookup_timeout_ms / 1000, budget_s)
        if seconds <= 0:
            return None, "no time left in the block"
        try:
            return await asyncio.wait_for(self._lookup(caller, order), seconds)
        except asyncio.TimeoutError:
            return None, f"the CRM did not answer within {int(seconds * 1000)} ms"
        except Exception as exc:  # a failed request, a refusing CRM: the next block
            return None, f"the CRM lookup failed: {exc!r}"

    async def _lookup(self, caller: str, order):
        if self.http is None:
            found = await asyncio.to_thread(self.service.responsible_for, caller, order)
            if found is None:
                return None, f"no open {'/'.join(order)} with a responsible employee"
            return found[0], found[1]
        found = await self.http.responsible_user(caller, order)
        if found is None:
            return None, f"the CRM has no {'/'.join(order)} for the caller"
        user, entity = found
        employee = self.users.get(user)
        if employee is None:
            return None, f"CRM user {user!r} ({entity}) is not mapped to an employee"
        return employee, f"{entity}: CRM user {user}"

    async def close(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for part in (self.events, self.http):
            if part is not None:
                await part.close()
