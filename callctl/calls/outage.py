"""After the daemon was away (stopped, killed, cut off from Asterisk) the call log catches
up with what Asterisk did meanwhile. app.py starts it once per (re)connect, after reconcile.

Asterisk keeps what is needed in AstDB (dialplan/callctl.conf writes it; read over AMI, so
Asterisk may run on another host):
- callctl_ended/<call>  when a caller the daemon was serving hung up: the `h` extension of
  callctl-inbound and callctl-internal, one AstDB write per call (cleared here);
- callctl_calls/<call>  a call the fallback handled: number, caller, who answered, times
  (the `h` extension of callctl-fallback).

Then:
- every fallback call goes into the log (or completes the record of a call the daemon had
  handed to the fallback);
- a record still in progress whose caller is gone is completed at Asterisk's end time, or,
  when Asterisk kept none, marked as ended while callctl was away, between the last time it
  was known to go on and now;
- a caller left alone in its bridge (the person hung up meanwhile) is hung up and its
  record completed the same way;
- calls this process was carrying that ended meanwhile get Asterisk's end time.
While connected, fallback calls that end later (e.g. in a minute no branch covers) are
picked up every POLL_S seconds, and callctl_ended is cleared.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable
from urllib.parse import unquote

from .. import log
from ..domain.directory import Directory
from ..pbx.dial import dialled_target
from ..store.calls import CallLog
from .context import now
from .reconcile import stasis_args

if TYPE_CHECKING:
    from ..pbx.astdb import AstDb
    from .router import Router

ENDED, CALLS = "callctl_ended", "callctl_calls"
POLL_S = 60
SESSION_END_WAIT_S = 5  # calls that ended meanwhile: their own end is written first
AWAY = "ended while callctl was away"


@dataclass(frozen=True)
class FallbackCall:
    call_id: str
    number: str
    caller: str
    caller_name: str | None
    started_at: datetime
    ended_at: datetime
    answered_leg: str | None = None  # e.g. PJSIP/alice, as the call log names legs
    answered_by: str | None = None  # the employee whose phone it is
    answered_at: datetime | None = None

    def write_args(self) -> tuple:
        """CallLog.fallback_call's arguments."""
        who = self.answered_by or self.answered_leg
        took = f"{who} answered" if who else "nobody answered"
        note = f"callctl was away: the fallback rang, {took}"
        return (self.call_id, self.number, self.caller, self.caller_name, self.started_at,
                self.ended_at, self.answered_by, self.answered_leg, self.answered_at, note)


def parse_fallback_call(call_id: str, value: str, directory: Directory,
                        trunk: str) -> FallbackCall | None:
    """A callctl_calls entry ('number=… caller=… start=… end=… answered=… talk_ms=…');
    None when it cannot be read (logged by the caller)."""
    fields = dict(part.split("=", 1) for part in value.split() if "=" in part)
    try:
        started, ended = _epoch(fields["start"]), _epoch(fields["end"])
        number = unquote(fields["number"])
    except (KeyError, ValueError, OverflowError):
        return None
    dialled = unquote(fields.get("answered", ""))
    talk_ms = fields.get("talk_ms", "")
    call = FallbackCall(call_id, number, unquote(fields.get("caller", "")) or "anonymous",
                        unquote(fields.get("name", "")) or None, started, ended)
    if not dialled or not talk_ms.isdigit():
        return call
    target = dialled_target(dialled, trunk)
    owner = directory.by_login(target.address) if target.kind == "sip" else \
        directory.by_phone(target.address) if target.kind == "phone" else None
    answered_at = max(started, datetime.fromtimestamp(ended.timestamp() - int(talk_ms) / 1000,
                                                      timezone.utc))
    return FallbackCall(call_id, number, call.caller, call.caller_name, started, ended,
                        f"PJSIP/{dialled}", owner.name if owner else None, answered_at)


def _epoch(text: str) -> datetime:
    return datetime.fromtimestamp(int(text), timezone.utc)


class Outage:
    def __init__(self, router: "Router", astdb: Callable[[], "AstDb"]):
        self.router, self.s, self.astdb = router, router.s, astdb
        self._task: asyncio.Task | None = None

    def after_connect(self) -> None:
        """From the connect path: catch up now, then keep picking up fallback calls."""
        if self._task is not None:
            self._task.cancel()
        self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        caught_up = False
        while True:
            try:
                if not caught_up:
                    await self.catch_up()
                    caught_up = True
                else:
                    async with self.astdb() as db:
                        await self._fallback_calls(db, await db.tree(CALLS))
                        await db.delete_tree(ENDED)  # the daemon saw every end meanwhile
            except Exception as exc:  # AMI or the database away: tried again
                log.event("calls.catch_up_failed", logging.WARNING, error=repr(exc))
            await asyncio.sleep(POLL_S)
            if not self.s.ari.connected.is_set():
                return  # the next connect catches up from the start

    async def catch_up(self) -> None:
        ari, router = self.s.ari, self.router
        checked_at = now()
        channels = {c["id"]: c for c in await ari.channels()}
        vanished = [s for s in list(router.sessions) if s.caller not in channels]
        if vanished:  # reconcile told them their caller is gone: let them write their end
            await asyncio.wait([s.task for s in vanished], timeout=SESSION_END_WAIT_S)
        live = {s.caller for s in router.sessions}
        open_calls = await asyncio.to_thread(self.s.call_log.open_calls)
        async with self.astdb() as db:
            ended, calls = await db.tree(ENDED), await db.tree(CALLS)
            fallback = await self._fallback_calls(db, calls)
            writes, alone = [], []
            for call_id, known_until in open_calls:
                if call_id in fallback or call_id in live:
                    continue
                if call_id in channels:
                    if stasis_args(channels[call_id], router.app) is None:
                        continue  # in the fallback's hands: its entry will tell the end
                    # In the app but not carried: reconcile left it, alone in its bridge.
                    alone.append(call_id)
                    writes.append((call_id, checked_at, known_until,
                                   f"{AWAY}: the person hung up between "
                                   f"{_clock(known_until)} and {_clock(checked_at)}"))
                elif call_id in ended:
                    writes.append((call_id, _epoch(ended[call_id]), None, AWAY))
                else:
                    writes.append((call_id, checked_at, known_until,
                                   f"{AWAY}, between {_clock(known_until)} and "
                                   f"{_clock(checked_at)}; Asterisk kept no end time"))
            writes += [(s.caller, _epoch(ended[s.caller]), None, AWAY)
                       for s in vanished if s.caller in ended]
            await asyncio.gather(*(self.s.recorder.submit(CallLog.ended_while_away, *w)
                                   for w in writes))
            await asyncio.gather(*(ari.quietly("DELETE", f"/channels/{c}") for c in alone))
            await db.delete_tree(ENDED)
        log.event("calls.caught_up", fallback_calls=len(fallback), completed=len(writes),
                  hung_up=len(alone))

    async def _fallback_calls(self, db: "AstDb", entries: dict[str, str]) -> set[str]:
        """Log the fallback calls of `entries` (callctl_calls), then delete them there."""
        directory, trunk = self.s.catalog().directory, self.s.trunk
        calls = []
        for call_id, value in entries.items():
            call = parse_fallback_call(call_id, value, directory, trunk)
            if call is None:
                log.event("calls.fallback_entry_unreadable", logging.WARNING, call=call_id,
                          entry=value)
            else:
                calls.append(call)
        await asyncio.gather(*(self.s.recorder.submit(CallLog.fallback_call, *c.write_args())
                               for c in calls))
        for call_id in entries:  # written (or unreadable, and logged): gone from AstDB
            await db.delete(CALLS, call_id)
        for call in calls:
            log.event("call.logged_from_fallback", call=call.call_id, number=call.number,
                      caller=call.caller, answered_by=call.answered_by or call.answered_leg)
        return {c.call_id for c in calls}


def _clock(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%H:%M:%S UTC")
