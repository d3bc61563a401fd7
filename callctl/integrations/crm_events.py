"""CRM call events: every call's start, answer and end, posted to the configured receivers.

Never in a call's way: `post` only queues. One worker per receiver sends its queue in
order (a receiver sees started, answered, ended of a call in that order), retrying a
failed delivery with capped exponential backoff. An event that still fails after
MAX_ATTEMPTS, or finds the queue full, is dropped: counted and logged (never silently).
"""
from __future__ import annotations

import asyncio
import logging

import aiohttp

from .. import log
from ..pbx.backoff import Backoff
from .signing import signed

QUEUE_MAX = 10_000
MAX_ATTEMPTS = 8  # with the backoff below: about 2 minutes of trying
REQUEST_TIMEOUT_S = 5


class Receiver:
    def __init__(self, url: str, secret: str, backoff: Backoff | None = None,
                 attempts: int = MAX_ATTEMPTS):
        self.url, self.secret, self.attempts = url, secret, attempts
        self.queue: asyncio.Queue = asyncio.Queue(QUEUE_MAX)
        self.backoff = backoff or Backoff(base=0.5, cap=30)
        self.delivered = self.dropped = self.retries = 0


class CrmEvents:
    def __init__(self, receivers: list[Receiver]):
        self.receivers = receivers
        self._tasks: list[asyncio.Task] = []
        self._http: aiohttp.ClientSession | None = None

    def post(self, event: dict) -> None:
        for r in self.receivers:
            if not self._tasks:
                self.start()
            try:
                r.queue.put_nowait(event)
            except asyncio.QueueFull:
                r.dropped += 1
                log.event("crm.event_dropped", logging.WARNING, url=r.url,
                          event=event["event"], call=event["call_id"], reason="queue full",
                          dropped=r.dropped)

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._send(r)) for r in self.receivers]

    def stats(self) -> list[dict]:
        return [{"url": r.url, "delivered": r.delivered, "dropped": r.dropped,
                 "retries": r.retries, "queued": r.queue.qsize()} for r in self.receivers]

    async def _send(self, r: Receiver) -> None:
        while True:
            event = await r.queue.get()
            body, headers = signed(event, r.secret)
            for attempt in range(1, r.attempts + 1):
                error = await self._deliver(r.url, body, headers)
                if error is None:
                    r.delivered += 1
                    r.backoff.reset()
                    break
                if attempt == r.attempts:
                    r.dropped += 1
                    log.event("crm.event_dropped", logging.WARNING, url=r.url,
                              event=event["event"], call=event["call_id"], reason=error,
                              attempts=attempt, dropped=r.dropped)
                    break
                r.retries += 1
                log.event("crm.event_retry", logging.INFO, url=r.url, event=event["event"],
                          call=event["call_id"], reason=error, attempt=attempt)
                await asyncio.sleep(r.backoff.next_delay())
            r.backoff.reset()

    async def _deliver(self, url: str, body: bytes, headers: dict) -> str | None:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S))
        try:
            async with self._http.post(url, data=body, headers=headers) as resp:
                return None if 200 <= resp.status < 300 else f"HTTP {resp.status}"
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            return repr(exc)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for r in self.receivers:
            if r.queue.qsize():
                log.event("crm.events_unsent", logging.WARNING, url=r.url,
                          count=r.queue.qsize())
        if self._http is not None:
            await self._http.close()
