"""A customer's HTTP handler for tests: a real aiohttp server on loopback that checks
callctl's signature and answers what the test says (a route, an error, garbage, slowly).
Used for webhook numbers, an external CRM's lookups and CRM call events."""
from __future__ import annotations

import asyncio
import json
import threading

from aiohttp import web

from callctl.integrations.signing import SIGNATURE_HEADER, verify


class Handler:
    """`answer(path, body) -> (status, body or text, delay_s)`; every request is kept in
    `received` as (path, parsed JSON, whether the signature was right)."""

    def __init__(self, secret: str = "s" * 32, answer=None, port: int = 0):
        self.secret, self.answer = secret, answer or (lambda path, body: (200, {}, 0))
        self.port = port
        self.received: list[tuple[str, object, bool]] = []
        self.headers: list[dict] = []  # of each request, in the same order
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        path = request.path_qs
        self.headers.append(dict(request.headers))
        self.received.append((path, body, verify(self.secret, raw,
                                                 request.headers.get(SIGNATURE_HEADER))))
        status, out, delay = self.answer(path, body)
        if delay:
            await asyncio.sleep(delay)
        if isinstance(out, (dict, list)):
            return web.json_response(out, status=status)
        return web.Response(text=str(out), status=status)

    async def start(self) -> "Handler":
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class ThreadedHandler(Handler):
    """The same server on a loop of its own thread, for tests that are not async (the
    integration tests, where the daemon is another process)."""

    def __enter__(self) -> "ThreadedHandler":
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self.start(), self.loop).result(5)
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
