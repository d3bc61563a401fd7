"""A queue's state and figures as the database tells them, for `callctl queues status|report`
and the API: who waits and for how long, each operator's state, and the report.

Read from the call log the daemon writes (a waiting caller is a queue visit not yet left;
an operator on a call is the employee of a call in progress; ringing, a leg that rings;
in wrap-up, within the queue's wrap-up seconds after their last queue call ended), so any
process can show it, and several daemons sharing one database show one state.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from ..domain.queue import CallQueue, members
from ..store.calls import CallLeg
from ..store.times import as_utc
from ..store.directory_models import Employee, SipAccount
from ..store.models import CallRecord
from ..store.queue_log import QueueVisit, report

STATES = ("free", "ringing", "on_call", "wrapup", "offline")


def status(sessions: sessionmaker, queue: CallQueue, directory) -> dict:
    """`directory`: the Directory snapshot (who the queue's operators are)."""
    parties = members(queue, directory)
    now = datetime.now(timezone.utc)
    with sessions() as s:
        waiting = s.execute(select(QueueVisit.call_id, CallRecord.caller, QueueVisit.joined_at)
                            .join(CallRecord, CallRecord.id == QueueVisit.call_id)
                            .where(QueueVisit.queue == queue.name,
                                   QueueVisit.left_at.is_(None))
                            .order_by(QueueVisit.joined_at)).all()
        on_call = set(s.scalars(select(CallRecord.answered_by).where(
            CallRecord.outcome == "in_progress", CallRecord.answered_by.in_(parties))))
        ringing = set(s.scalars(select(CallLeg.employee).where(
            CallLeg.result.is_(None), CallLeg.employee.in_(parties))))
        since = now - timedelta(seconds=queue.wrapup_seconds)
        rested = set(s.scalars(select(CallRecord.answered_by)
                               .join(QueueVisit, QueueVisit.call_id == CallRecord.id)
                               .where(QueueVisit.queue == queue.name,
                                      CallRecord.answered_by.in_(parties),
                                      CallRecord.ended_at >= as_utc(since)))) \
            if queue.wrapup_seconds else set()
        registered = set(s.scalars(select(SipAccount.login).where(
            SipAccount.reg_state == "online")))
        online = {name: ok for name, ok in s.execute(
            select(Employee.full_name, Employee.online).where(Employee.full_name.in_(parties)))}

    def state(party: str) -> str:
        if party in on_call:
            return "on_call"
        if party in ringing:
            return "ringing"
        if party in rested:
            return "wrapup"
        if not _reachable(party, directory, online, registered):
            return "offline"
        return "free"

    return {"queue": queue.name, "strategy": queue.strategy,
            "waiting": [{"call": call_id, "caller": caller, "position": i,
                         "waiting_seconds": round((now - as_utc(joined)).total_seconds(), 1)}
                        for i, (call_id, caller, joined) in enumerate(waiting, 1)],
            "operators": [{"operator": p, "state": state(p)} for p in parties],
            "at": time.time()}


def _reachable(party: str, directory, online: dict, registered: set) -> bool:
    if party.startswith("sip:"):
        return party[4:] in registered
    e = directory.employee(party)
    if e is None or not online.get(party, e.online):
        return False
    return bool(e.phone_numbers) or any(login in registered for login in e.sip_logins)


def queue_report(sessions: sessionmaker, queue: CallQueue, since, until) -> dict:
    r = report(sessions, queue.name, since, until, queue.service_level)
    return {"queue": r.queue, "offered": r.offered, "answered": r.answered,
            "abandoned": r.abandoned, "timed_out_or_left": r.timed_out,
            "wait_avg_seconds": r.wait_avg, "wait_p90_seconds": r.wait_p90,
            "service_level": r.service_level, "service_level_seconds": r.within,
            "operators": [{"operator": who, "answered": n, "talk_seconds": talk}
                          for who, n, talk in r.operators]}
