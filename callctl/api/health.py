"""The daemon's HTTP endpoint on loopback: /health for supervisors and tests, /metrics for
Prometheus."""
from __future__ import annotations

from typing import Callable

from aiohttp import web

from .. import metrics


def health_app(status: Callable[[], dict]) -> web.Application:
    async def health(_request: web.Request) -> web.Response:
        body = status()
        return web.json_response(body, status=200 if body["ready"] else 503)

    async def scrape(request: web.Request) -> web.Response:
        body, content_type = metrics.render(request.headers.get("Accept"))
        return web.Response(body=body, headers={"Content-Type": content_type})

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", scrape)
    return app


async def serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2)  # a stop never waits 60 s
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
