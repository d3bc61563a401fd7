"""Listening from the call log: a call with its voicemail message and how its people were
told, and the message's audio, for the CLI (which may see everything) and the API (which
asks domain/call_access.py who may see what).

Synchronous, like the other services: the API calls it in a worker thread.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from ..domain.call_access import RULES, may_see
from ..domain.catalog import Catalog
from ..store.calls import CallLog, UnknownCall
from ..store.messages import Messages, VoiceMessage
from ..store.models import CallRecord
from ..store.notifications import Outbox
from ..store.transfers import of_call as transfers_of, parties


class NotAllowed(PermissionError):
    """The asker's access level does not cover this call; str() says what it covers."""


class NoMessage(LookupError):
    pass


@dataclass(frozen=True)
class Asker:
    employee: str | None  # None: the command line, which reads the database anyway
    level: str = "admin"


CLI = Asker(None)


class Listening:
    def __init__(self, call_log: CallLog, messages: Messages, outbox: Outbox,
                 catalog: Callable[[], Catalog] = Catalog, zone: ZoneInfo = ZoneInfo("UTC")):
        """`catalog()`: the directory and voicemail boxes as they are now (who may see)."""
        self.call_log, self.messages, self.outbox = call_log, messages, outbox
        self._catalog, self.zone = catalog, zone

    def show(self, call_id: str, asker: Asker = CLI) -> dict:
        """The call as `callctl calls show --json` prints it: its fields, every leg tried,
        and its voicemail message (None when it has none) with the notifications sent."""
        rec, message = self._allowed(call_id, asker)
        doc = call_view(rec, self.zone)
        doc["legs"] = [{"target": leg.target, "employee": leg.employee,
                        "channel": leg.channel_id, "rang_from": iso(leg.rang_from, self.zone),
                        "rang_to": iso(leg.rang_to, self.zone), "result": leg.result,
                        "reason": leg.reason} for leg in rec.legs]
        transfers = self._transfers(call_id)
        doc["transfers"] = [{
            "seq": t.seq, "mode": t.mode, "via": t.via, "transferer": t.transferer,
            "to": t.target, "rang": t.label, "result": t.result, "recipient": t.recipient,
            "started_at": iso(t.started_at, self.zone), "ended_at": iso(t.ended_at, self.zone),
            "detail": t.detail} for t in transfers]
        doc["parties"] = [{**p, "talk_from": iso(p["talk_from"], self.zone),
                           "talk_to": iso(p["talk_to"], self.zone)}
                          for p in parties(rec, transfers)]
        doc["message"] = None if message is None else {
            "box": message.box, "seconds": message.seconds,
            "recorded_at": iso(message.created_at, self.zone),
            "notifications": [{"channel": n.channel, "recipient": n.recipient,
                               "state": n.state, "attempts": n.attempts,
                               "last_error": n.last_error,
                               "finished_at": iso(n.finished_at, self.zone)}
                              for n in self.outbox.for_message(message.id)]}
        return doc

    def recording(self, call_id: str, asker: Asker = CLI) -> VoiceMessage:
        _rec, message = self._allowed(call_id, asker)
        if message is None:
            raise NoMessage(f"call {call_id!r} has no voicemail message")
        return message

    def _allowed(self, call_id: str, asker: Asker) -> tuple[CallRecord, VoiceMessage | None]:
        rec = self.call_log.get(call_id)
        if rec is None:
            raise UnknownCall(f"no call with id {call_id!r}")
        message = self.messages.for_call(call_id)
        if asker.employee is not None:
            catalog = self._catalog()
            box = catalog.boxes.get(message.box) if message is not None else None
            talked = frozenset(filter(None, [leg.employee for leg in rec.legs
                                             if leg.result == "answered"]
                                      + [t.transferer for t in self._transfers(call_id)]))
            if not may_see(asker.level, asker.employee, rec.answered_by,
                           rec.answered_department, box, catalog.directory, talked):
                raise NotAllowed(f"{asker.employee} ({asker.level}) may see "
                                 f"{RULES.get(asker.level, 'no calls')}; call {call_id!r} "
                                 f"is not one of them")
        return rec, message


    def _transfers(self, call_id: str) -> list:
        return transfers_of(self.call_log, call_id)


def call_view(rec: CallRecord, zone: ZoneInfo) -> dict:
    """A call record's own fields, times in the project's zone."""
    return {"id": rec.id, "started_at": iso(rec.started_at, zone), "direction": rec.direction,
            "number": rec.number, "caller": rec.caller, "scheme": rec.scheme,
            "branch": rec.branch, "answered_by": rec.answered_by,
            "department": rec.answered_department, "answered_leg": rec.answered_leg,
            "answered_at": iso(rec.answered_at, zone), "ended_at": iso(rec.ended_at, zone),
            "ended_after": iso(rec.ended_after, zone),  # with it, the end lies between
            "ring_seconds": rec.ring_seconds, "talk_seconds": rec.talk_seconds,
            "outcome": rec.outcome, "detail": rec.detail, "employee": rec.employee,
            "caller_id": rec.caller_id, "category": rec.category,
            "value": rec.value, "comment": rec.comment}


def iso(at: datetime | None, zone: ZoneInfo) -> str | None:
    if at is None:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    return at.astimezone(zone).isoformat(timespec="seconds")
