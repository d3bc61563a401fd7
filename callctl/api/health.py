"""The daemon's HTTP endpoint on loopback: /health for supervisors and tests."""
from __future__ import annotations

from typing import Callable

from aiohttp import web


def health_app(status: Callable[[], dict]) -> web.Application:
    async def health(_request: web.Request) -> web.Response:
        body = status()
        return web.json_response(body, status=200 if body["ready"] else 503)

    app = web.Application()
    app.router.add_get("/health", health)
    return app


async def serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
