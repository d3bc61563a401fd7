"""Wiring: builds every part of the daemon from the configuration, in one place."""
from __future__ import annotations

import asyncio
import logging
import signal

from . import log
from .api.health import health_app, serve
from .api.http import mount as mount_api
from .calls.recorder import CallRecorder
from .calls.router import Router
from .calls.session import Services
from .config import Config
from .directory.service import DirectoryService
from .domain.directory import Directory
from .domain.plan import Trunk, fallback_target
from .pbx.ari import Ari
from .pbx.astdb import write_fallbacks
from .pbx.backoff import Backoff
from .pbx.presence import EVENTS as PRESENCE_EVENTS, PresenceTracker
from .pbx.provision import Provisioner
from .integrations.mail import mailer_from_config
from .looplag import LoopLag
from .ops.reload import Reloader
from .ops.systemd import Notifier, keep_watchdog
from .schemes.service import SchemeService
from .store.api_tokens import ApiTokens
from .store.calls import CallLog
from .store.db import make_engine, sessions, upgrade


# The ARI events callctl acts on; Asterisk is asked to send no others.
EVENTS_USED = ("StasisStart", "StasisEnd", "ChannelDestroyed", "ChannelHangupRequest",
               "PlaybackFinished", "PlaybackFailed", "ContactStatusChange")
DIRECTORY_POLL_S = 0.5  # how soon a change made by another process reaches calls and phones


class Daemon:
    def __init__(self, config: Config, config_path: str | None = None):
        self.config = config
        self.engine = make_engine(config.database.url)
        self.directory_service = DirectoryService(sessions(self.engine),
                                                  mailer=mailer_from_config(config.smtp),
                                                  seats_included=config.project.seats_included)
        self.scheme_service = SchemeService(sessions(self.engine), self.directory_service)
        self.schemes: tuple[dict, dict] = ({}, {})  # schemes by name, number -> scheme name
        self._directory_changed = asyncio.Event()
        self.directory, self.directory_version = Directory(), None
        self.ari = Ari(config.ari.url, config.ari.username, config.ari.password, config.ari.app)
        self.presence = PresenceTracker()
        self.provisioner = Provisioner(self.ari, config.pbx.staff_transport,
                                       config.pbx.staff_context)
        call_log = CallLog(sessions(self.engine))
        self.recorder = CallRecorder(call_log)
        self.services = Services(
            ari=self.ari, call_log=call_log, recorder=self.recorder,
            directory=lambda: self.directory, presence=self.presence.snapshot,
            trunk=Trunk(config.pbx.trunk_endpoint), schemes=lambda: self.schemes,
            timezone=config.project.timezone, sticky=config.project.sticky,
            fallback_context=config.pbx.fallback_context)
        self.router = Router(self.services, config.ari.app)
        self.db_ready = False
        self.fallbacks_status = "not written yet"
        self._fallback_task: asyncio.Task | None = None
        self._registrations: asyncio.Queue = asyncio.Queue()
        self.loop_lag = LoopLag()
        self._stopping = asyncio.Event()
        self.notifier = Notifier()
        self.reloader = Reloader(config_path, config, self.reload_directory, self.notifier)

    def status(self) -> dict:
        ari = "connected" if self.ari.connected.is_set() else self.ari.last_error
        return {"ready": self.db_ready and self.ari.connected.is_set(), "ari": ari,
                "database": "ok" if self.db_ready else "not migrated",
                "calls": len(self.router.sessions), "fallbacks": self.fallbacks_status,
                "loop_lag_p99_ms": self.loop_lag.p99_ms()}

    async def on_connect(self) -> None:
        await self.provisioner.sync(self.directory, full=True)
        app = self.config.ari.app
        # Endpoint events for presence; the filter keeps out the dozens of channel events
        # (ChannelVarset, Dial, ...) an endpoint subscription would bring for EVERY call,
        # including calls callctl never handles.
        await self.ari.request("PUT", f"/applications/{app}/eventFilter",
                               body={"allowed": [{"type": t} for t in EVENTS_USED]})
        await self.ari.request("POST", f"/applications/{app}/subscription",
                               params={"eventSource": "endpoint:PJSIP"})
        self.presence.seed(await self.ari.request("GET", "/endpoints/PJSIP"))
        await self.router.reconcile()
        self._start_fallback_sync()

    def on_event(self, ev) -> None:
        if ev.type in PRESENCE_EVENTS:
            change = self.presence.update(ev)
            if change is not None:
                log.event("sip.registration", login=change[0], state=change[1],
                          contact=change[2])
                self._registrations.put_nowait(change)
        else:
            self.router.dispatch(ev)

    async def record_registrations(self) -> None:
        """Registration state into the database, in order, off the event loop."""
        while True:
            login, state, contact = await self._registrations.get()
            try:
                await asyncio.to_thread(self.directory_service.set_registration, login, state,
                                        contact)
            except Exception as exc:
                log.event("sip.registration_not_saved", logging.WARNING, login=login,
                          error=repr(exc))

    async def load_directory(self) -> bool:
        """Take a new snapshot when another process (CLI, API, import) changed the directory."""
        version = await asyncio.to_thread(self.directory_service.version)
        if version == self.directory_version:
            return False
        self.directory = await asyncio.to_thread(self.directory_service.snapshot)
        self.schemes = await asyncio.to_thread(self.scheme_service.snapshot)
        self.directory_version = version
        log.event("directory.loaded", version=version, employees=len(self.directory.employees),
                  numbers=len(self.directory.numbers),
                  sip_accounts=len(self.directory.sip_accounts), schemes=len(self.schemes[0]))
        return True

    async def run_service(self, fn, *args, **kwargs):
        """How the HTTP API calls the directory service: in a thread, then a look at the
        directory at once, so a change made through the API reaches Asterisk immediately."""
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        finally:
            self._directory_changed.set()

    def reload_directory(self) -> None:
        """Take the directory afresh (SIGHUP), even if its version did not move."""
        self.directory_version = None
        self._directory_changed.set()

    async def watch_directory(self) -> None:
        while True:
            try:  # changes from other processes (CLI, import) are noticed by polling
                await asyncio.wait_for(self._directory_changed.wait(), DIRECTORY_POLL_S)
            except asyncio.TimeoutError:
                pass
            self._directory_changed.clear()
            try:
                if await self.load_directory() and self.ari.connected.is_set():
                    await self.provisioner.sync(self.directory)
                    self._start_fallback_sync()
            except Exception as exc:  # the database or Asterisk is away: retried next tick
                log.event("directory.sync_failed", logging.WARNING, error=repr(exc))

    def _start_fallback_sync(self) -> None:
        if self._fallback_task is not None:
            self._fallback_task.cancel()
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
        loop.add_signal_handler(signal.SIGHUP, self.reloader.reload)
        web_app = health_app(self.status)
        mount_api(web_app, self.directory_service, ApiTokens(sessions(self.engine)),
                  schemes=self.scheme_service, run=self.run_service)
        http = await serve(web_app, self.config.http.host, self.config.http.port)
        log.event("daemon.starting", http=f"{self.config.http.host}:{self.config.http.port}")
        await asyncio.to_thread(upgrade, self.config.database.url)
        await self.load_directory()
        self.db_ready = True
        tasks = [asyncio.create_task(self.ari.run_events(self.on_event, self.on_connect)),
                 asyncio.create_task(self.watch_directory()),
                 asyncio.create_task(self.record_registrations()),
                 asyncio.create_task(self.loop_lag.run()),
                 asyncio.create_task(keep_watchdog(self.notifier))]
        self.notifier.ready("serving")
        await self._stopping.wait()
        self.notifier.stopping()
        log.event("daemon.stopping", calls=len(self.router.sessions))
        if self._fallback_task is not None:
            tasks.append(self._fallback_task)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.router.stop()
        await asyncio.to_thread(self.recorder.close)
        await self.ari.close()
        await http.cleanup()
        self.engine.dispose()
        log.event("daemon.stopped")
