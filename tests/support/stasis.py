"""A Stasis application of the test's own: its ARI websocket (read by a thread) and REST
calls, so a test can drive Asterisk directly (originate to a phone, play media on the
channel) beside the daemon, which owns its own app."""
from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import queue
import threading
import time
import urllib.parse
import urllib.request

import aiohttp


class StasisApp:
    def __init__(self, sandbox_state: dict, app: str):
        self.app = app
        self.base = f"http://127.0.0.1:{sandbox_state['http_port']}/ari"
        self._auth = (sandbox_state["ari_user"], sandbox_state["ari_password"])
        self.events: "queue.Queue[tuple[float, dict]]" = queue.Queue()
        self._seen: list[tuple[float, dict]] = []
        self._loop = asyncio.new_event_loop()
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(5)
        if not self._connected.wait(5):
            raise AssertionError(f"ARI websocket for app {app} did not connect")

    async def _start(self) -> None:
        self._reader = asyncio.create_task(self._read())

    async def _stop(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def _read(self) -> None:
        user, password = self._auth
        url = self.base.replace("http", "ws", 1) + "/events?" + urllib.parse.urlencode(
            {"app": self.app, "api_key": f"{user}:{password}"})
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            self._connected.set()
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    self.events.put((time.monotonic(), json.loads(msg.data)))

    def request(self, method: str, path: str, **params):
        query = urllib.parse.urlencode(params)
        token = base64.b64encode(":".join(self._auth).encode()).decode()
        req = urllib.request.Request(f"{self.base}{path}{'?' + query if query else ''}",
                                     method=method, headers={"Authorization": f"Basic {token}"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            body = resp.read()
            return json.loads(body) if body else None

    def wait(self, event_type: str, timeout: float = 5, **match) -> tuple[float, dict]:
        """(arrival time, event) of the next `event_type` whose top-level fields (or the
        playback's / channel's id) match `match`."""
        def field(ev, key):
            value = ev.get(key)
            return value.get("id") if isinstance(value, dict) else value

        def fits(ev):
            return ev["type"] == event_type and all(field(ev, k) == v for k, v in match.items())
        for item in self._seen:
            if fits(item[1]):
                self._seen.remove(item)
                return item
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                item = self.events.get(timeout=remaining)
            except queue.Empty:
                break
            if fits(item[1]):
                return item
            self._seen.append(item)
        raise AssertionError(f"no {event_type} {match or ''} for app {self.app} "
                             f"within {timeout}s")

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
