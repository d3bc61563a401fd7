"""Writes the call log off the event loop, in order, batched.

Every call makes half a dozen small writes (started, legs, answered, ended). One thread
takes them from a queue and commits whatever has piled up in ONE transaction, so under load
a commit carries many writes instead of one, and the event loop never waits for the
database. A batch that fails is replayed write by write, so one bad write loses only itself.
"""
from __future__ import annotations

import asyncio
import logging
import queue
import threading
from typing import Callable

from .. import log, metrics
from ..store.calls import CallLog

BATCH_MAX = 500
_STOP = object()


class CallRecorder:
    def __init__(self, call_log: CallLog):
        self.call_log = call_log
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="call-log", daemon=True)
        self._thread.start()

    def submit(self, write: Callable[..., None], *args) -> asyncio.Future:
        """Queue `write(call_log, *args)` (a CallLog method); the future resolves once it
        is committed."""
        if not callable(write):  # fail here, not in the writer thread every call relies on
            raise TypeError(f"a call-log write is a CallLog method, not {write!r}")
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self._queue.put((write, args, loop, done, metrics.call_log_queued()))
        return done

    def close(self, timeout: float = 10) -> None:
        """Write what is queued, then stop the thread."""
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            # Group commit without waiting: whatever piled up during the last commit joins
            # this one (under load, many calls' writes), so a write is never held back; a
            # daemon killed mid-call loses only what was not yet committed.
            batch, stop = [self._queue.get()], False
            while len(batch) < BATCH_MAX:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if _STOP in batch:
                batch, stop = [item for item in batch if item is not _STOP], True
            self._write(batch)
            if stop:
                return

    def _write(self, batch: list) -> None:
        try:
            with self.call_log.batch():
                for write, args, *_ in batch:
                    write(self.call_log, *args)
            results = [None] * len(batch)
        except Exception:
            results = [self._write_one(write, args) for write, args, *_ in batch]
        metrics.call_log_written([queued for *_, queued in batch])
        # One wake-up of the event loop per batch, not per write: each is a syscall and a
        # turn of the loop.
        by_loop: dict = {}
        for (_write, _args, loop, done, _queued), error in zip(batch, results):
            by_loop.setdefault(loop, []).append((done, error))
        for loop, settled in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, settled)
            except RuntimeError:  # the loop is gone (shutdown): nobody waits any more
                pass

    def _write_one(self, write: Callable[..., None], args: tuple) -> Exception | None:
        try:
            write(self.call_log, *args)
            return None
        except Exception as exc:
            log.event("calllog.write_failed", logging.ERROR, op=write.__name__,
                      call=args[0] if args else None, error=repr(exc))
            return exc


def _settle(settled: list[tuple[asyncio.Future, Exception | None]]) -> None:
    for done, error in settled:
        if done.done():
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)
