"""What the workspace page asks the database for: today's calls as the signed-in person
may see them, a client's call history, the screen pop's card, their softphone account,
the per-employee report. Synchronous, like the other services (called off the loop).
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from ..crm.service import NEW_CALLER, CrmService
from ..directory.service import DirectoryService
from ..store.api_tokens import Principal
from ..store.calls import UNANSWERED, CallLeg, CallLog
from ..store.directory_models import Employee, SipAccount
from ..store.models import CallRecord
from ..voicemail.listening import call_view

TODAY_LIMIT = 200
HISTORY_LIMIT = 20


class Workspace:
    def __init__(self, sessions: sessionmaker, directory: DirectoryService, crm: CrmService,
                 call_log: CallLog, timezone: str = "UTC"):
        self._sessions, self.directory, self.crm = sessions, directory, crm
        self.call_log, self.zone = call_log, ZoneInfo(timezone)

    def calls_since(self, who: Principal, since: datetime) -> list[dict]:
        """Calls from `since` that `who` may see, newest first; `missed_by_me`: it rang
        them and they did not take it."""
        with self._sessions() as s:
            me = s.scalar(select(Employee).where(Employee.full_name == who.employee))
            rang_me = exists().where(CallLeg.call_id == CallRecord.id,
                                     CallLeg.employee == who.employee)
            q = select(CallRecord).where(CallRecord.started_at >= since)
            if who.level != "admin":
                mine = [CallRecord.answered_by == who.employee,
                        CallRecord.employee == who.employee, rang_me]
                if me is not None:  # a colleague they dialled shows them by extension
                    mine.append((CallRecord.direction == "internal")
                                & (CallRecord.caller == me.extension))
                if who.level == "manager" and me is not None and me.department is not None:
                    team = select(Employee.full_name).where(
                        Employee.department_id == me.department_id)
                    mine += [CallRecord.answered_department == me.department.name,
                             CallRecord.answered_by.in_(team), CallRecord.employee.in_(team)]
                q = q.where(or_(*mine))
            rows = list(s.scalars(q.order_by(CallRecord.started_at.desc())
                                  .limit(TODAY_LIMIT)))
            missed = set(s.scalars(select(CallLeg.call_id).where(
                CallLeg.call_id.in_([r.id for r in rows]), CallLeg.employee == who.employee,
                CallLeg.result.in_(UNANSWERED))))
            return [{**call_view(r, self.zone), "missed_by_me": r.id in missed
                     and r.answered_by != who.employee} for r in rows]

    def history(self, client_id: int) -> list[dict]:
        """The client's calls (from any of their phones), newest first."""
        phones = self.crm.get_client(client_id)["phones"]
        with self._sessions() as s:
            rows = s.scalars(select(CallRecord).where(CallRecord.caller.in_(phones))
                             .order_by(CallRecord.started_at.desc()).limit(HISTORY_LIMIT))
            return [call_view(r, self.zone) for r in rows]

    def screen_pop(self, number: str, call_id: str) -> dict | None:
        """The caller's card (made now for a new caller) with its history; None when the
        caller sent no usable number. `new`: a card made for this call's caller."""
        try:
            found = self.crm.card_for_caller(number)
        except IntegrityError:  # the CRM hook made the same new card at the same moment
            found = self.crm.card_for_caller(number)
        if found is None:
            return None
        card, history = self.crm.get_client(found[0]), self.history(found[0])
        earlier = [c for c in history if c["id"] != call_id]
        new = found[1] or (card["comment"] == NEW_CALLER and not earlier)
        return {**card, "new": new, "history": history}

    def softphone(self, employee: str) -> dict | None:
        """The employee's "on PC" SIP account (login and password), None without one."""
        with self._sessions() as s:
            account = s.scalar(select(SipAccount).join(Employee)
                               .where(Employee.full_name == employee, SipAccount.on_pc)
                               .order_by(SipAccount.login))
            return None if account is None else {"login": account.login,
                                                 "password": account.password}

    def report(self, who: Principal, since: datetime | None,
               until: datetime | None) -> list[dict]:
        """Per employee: everyone for an admin, their department's people for a manager."""
        team = None
        if who.level != "admin":
            with self._sessions() as s:
                me = s.scalar(select(Employee).where(Employee.full_name == who.employee))
                team = {who.employee} if me is None or me.department_id is None else set(
                    s.scalars(select(Employee.full_name)
                              .where(Employee.department_id == me.department_id)))
        return [{"employee": r.employee, "incoming": r.answered + r.missed,
                 "answered": r.answered, "missed": r.missed,
                 "talk_seconds": r.talk_seconds, "outgoing": r.outgoing,
                 "outgoing_talk_seconds": r.outgoing_talk_seconds}
                for r in self.call_log.report(since, until)
                if team is None or r.employee in team]
