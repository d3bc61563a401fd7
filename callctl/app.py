"""Wiring: builds every part of the daemon from the configuration, in one place."""
from __future__ import annotations

import asyncio
import logging
import signal

from . import log
from .api.health import health_app, serve
from .calls.router import Router
from .calls.session import Services
from .config import Config, directory_from_config
from .domain.plan import Trunk, fallback_target
from .pbx.ari import Ari
from .pbx.astdb import write_fallbacks
from .pbx.backoff import Backoff
from .pbx.provision import push_all
from .store.calls import CallLog
from .store.db import make_engine, sessions, upgrade


class Daemon:
    def __init__(self, config: Config):
        self.config = config
        self.directory = directory_from_config(config)
        self.engine = make_engine(config.database.url)
        self.ari = Ari(config.ari.url, config.ari.username, config.ari.password, config.ari.app)
        self.services = Services(
            ari=self.ari, call_log=CallLog(sessions(self.engine)),
            directory=lambda: self.directory, trunk=Trunk(config.pbx.trunk_endpoint),
            fallback_context=config.pbx.fallback_context)
        self.router = Router(self.services, config.ari.app)
        self.db_ready = False
        self.fallbacks_status = "not written yet"
        self._fallback_task: asyncio.Task | None = None
        self._stopping = asyncio.Event()

    def status(self) -> dict:
        ari = "connected" if self.ari.connected.is_set() else self.ari.last_error
        return {"ready": self.db_ready and self.ari.connected.is_set(), "ari": ari,
                "database": "ok" if self.db_ready else "not migrated",
                "calls": len(self.router.sessions), "fallbacks": self.fallbacks_status}

    async def on_connect(self) -> None:
        pbx = self.config.pbx
        await push_all(self.ari, self.directory, pbx.staff_transport, pbx.staff_context)
        await self.router.reconcile()
        if self._fallback_task is None or self._fallback_task.done():
            self._fallback_task = asyncio.create_task(self.sync_fallbacks())

    async def sync_fallbacks(self) -> None:
        """Keep AstDB's fallback table current; retried until Asterisk's AMI takes it."""
        trunk = self.services.trunk
        table = {n.number: fallback_target(self.directory, n.number, trunk)
                 for n in self.directory.numbers}
        table = {k: v for k, v in table.items() if v}
        ami, backoff = self.config.ami, Backoff(base=0.5, cap=30)
        while True:
            try:
                await write_fallbacks(ami.host, ami.port, ami.username, ami.secret, table)
                self.fallbacks_status = f"{len(table)} written"
                return
            except Exception as exc:  # panoramisk raises plain exceptions on refusal
                self.fallbacks_status = f"stale: {exc or type(exc).__name__}"
                log.event("astdb.write_failed", logging.WARNING, error=self.fallbacks_status)
                await asyncio.sleep(backoff.next_delay())

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stopping.set)
        http = await serve(health_app(self.status), self.config.http.host, self.config.http.port)
        log.event("daemon.starting", http=f"{self.config.http.host}:{self.config.http.port}",
                  numbers=len(self.directory.numbers), employees=len(self.directory.employees))
        await asyncio.to_thread(upgrade, self.config.database.url)
        self.db_ready = True
        events = asyncio.create_task(self.ari.run_events(self.router.dispatch, self.on_connect))
        await self._stopping.wait()
        log.event("daemon.stopping", calls=len(self.router.sessions))
        events.cancel()
        if self._fallback_task is not None:
            self._fallback_task.cancel()
        await asyncio.gather(events, return_exceptions=True)
        await self.router.stop()
        await self.ari.close()
        await http.cleanup()
        self.engine.dispose()
        log.event("daemon.stopped")
