"""Takes recorded messages from Asterisk into callctl's own store, then tells people.

Runs beside the calls: a call ends at once, while the mailroom fetches the recording over
ARI (Asterisk may not share a disk with the daemon), stores it in the database, and only
then deletes Asterisk's copy. So a message is never lost: if the daemon stops in between,
Asterisk still holds the file and `sweep` (after every connect) collects it.
"""
from __future__ import annotations

import asyncio
import io
import logging
import wave
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Awaitable, Callable

from .. import log
from ..pbx.ari import Ari, AriError, NotFound
from ..pbx.backoff import Backoff
from ..store.messages import Messages

PREFIX = "callctl-vm-"  # recording names: PREFIX + call id
FETCH_ATTEMPTS = 12  # about a minute with the backoff below


@dataclass(frozen=True)
class Delivery:
    """A stored message, as notifications need it."""
    message_id: int
    call_id: str
    box: str
    caller: str
    number: str
    seconds: float
    at: datetime


def wav_seconds(audio: bytes) -> float:
    try:
        with wave.open(io.BytesIO(audio)) as w:
            return round(w.getnframes() / w.getframerate(), 2)
    except (wave.Error, EOFError, ZeroDivisionError):
        return 0.0


class Mailroom:
    def __init__(self, ari: Ari, messages: Messages, *,
                 box_of_call: Callable[[str], tuple[str, str, str] | None] = lambda c: None,
                 notify: Callable[[Delivery], Awaitable[None]] | None = None):
        self.ari, self.messages = ari, messages
        self._box_of_call = box_of_call  # call id -> (box, caller, number), from the call log
        self._notify = notify
        self._tasks: set[asyncio.Task] = set()

    def take(self, call, box, recording: str, seconds: int | None, at: datetime) -> None:
        self._spawn(self._collect(recording, call.id, box.name, call.caller_number,
                                  call.dialled, at))

    def discard(self, recording: str) -> None:
        self._spawn(self.ari.quietly("DELETE", f"/recordings/stored/{recording}"))

    def start_sweep(self) -> None:
        """After a connect, beside the calls: collect what Asterisk stored meanwhile."""
        self._spawn(self.sweep())

    async def sweep(self) -> None:
        """Collect messages Asterisk stored while nobody took them (daemon down, killed)."""
        try:
            stored = await self.ari.request("GET", "/recordings/stored")
        except AriError as exc:  # e.g. HTTP 500 while Asterisk has no recordings folder yet
            log.event("voicemail.sweep_skipped", logging.WARNING, reason=str(exc))
            return
        for rec in stored or []:
            name = rec.get("name", "")
            if not name.startswith(PREFIX):
                continue
            if await self.ari.quietly("GET", f"/recordings/live/{name}") is not None:
                continue  # still being recorded: its call takes it when it ends
            if await asyncio.to_thread(self.messages.has, name):
                self.discard(name)
                continue
            call_id = name[len(PREFIX):]
            found = await asyncio.to_thread(self._box_of_call, call_id)
            if found is None:
                log.event("voicemail.orphan", logging.WARNING, recording=name)
                continue
            box, caller, number = found
            self._spawn(self._collect(name, call_id, box, caller, number,
                                      datetime.now(timezone.utc)))

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _collect(self, recording: str, call_id: str, box: str, caller: str, number: str,
                       at: datetime) -> None:
        audio = await self._fetch(recording)
        if audio is None:
            return
        seconds = wav_seconds(audio)
        message_id = await asyncio.to_thread(self.messages.add, call_id, box, recording,
                                             seconds, audio, at)
        await self.ari.quietly("DELETE", f"/recordings/stored/{recording}")
        log.event("voicemail.stored", call=call_id, box=box, message=message_id,
                  seconds=seconds)
        if self._notify is not None:
            await self._notify(Delivery(message_id, call_id, box, caller, number, seconds, at))

    async def _fetch(self, recording: str) -> bytes | None:
        backoff = Backoff(base=0.2, cap=10)
        for _ in range(FETCH_ATTEMPTS):
            try:
                return await self.ari.fetch(f"/recordings/stored/{recording}/file")
            except NotFound:
                reason = "not stored yet"
            except (AriError, OSError, asyncio.TimeoutError) as exc:
                reason = str(exc) or type(exc).__name__
            except Exception as exc:  # aiohttp errors while Asterisk is away
                reason = repr(exc)
            await asyncio.sleep(backoff.next_delay())
        log.event("voicemail.not_collected", logging.WARNING, recording=recording,
                  reason=reason)  # Asterisk keeps it: the next sweep tries again
        return None
