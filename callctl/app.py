"""Wiring: builds every part of the daemon from the configuration, in one place."""
from __future__ import annotations

import asyncio
import logging
import signal

from . import log
from .api.health import health_app, serve
from .api.http import mount as mount_api
from .calls.busy import BusyBoard
from .calls.click import ClickToCall
from .calls.desk import TransferDesk
from .calls.context import Services
from .calls.media import PromptMedia
from .calls.queues import QueueRooms
from .calls.outage import Outage
from .calls.reconcile import reconcile
from .api.prompts import mount_media
from .api.calls import mount_listen_links
from .calls.recorder import CallRecorder
from .calls.router import Router
from .config import Config
from .domain.catalog import Catalog
from .domain.directory import Presence
from .domain.fallback import fallback_program
from .pbx.ari import Ari, AriError
from .pbx.astdb import AstDb
from .pbx.fallback import FAMILY as FALLBACK_FAMILY, fallback_table
from .pbx.backoff import Backoff
from .pbx.contacts import ContactEvents
from .pbx.presence import PresenceTracker
from .pbx.provision import Provisioner
from .looplag import LoopLag
from .ops.reload import Reloader
from .ops.systemd import Notifier, keep_watchdog
from .project.services import from_config
from .prompts.defaults import load_defaults
from .prompts.media import media_base_url
from .routing.service import catalog_from
from .store.api_tokens import ApiTokens
from .store.calls import CallLog
from .store.db import make_engine, sessions, upgrade
from .store.messages import Messages
from .store.notifications import Outbox
from .voicemail.listening import Listening
from .voicemail.mailroom import Mailroom
from .api.crm import crm_routes
from .api.outgoing import outgoing_routes
from .api.transfers import transfer_routes
from .crm.calls import CallCrm
from .domain.outgoing import OutgoingPolicy
from .integrations.crm_events import CrmEvents, Receiver
from .integrations.crm_lookup import HttpCrm
from .integrations.webhooks import Webhooks
from .voicemail.notifier import box_targets, notifier_from_config
from .api.signin import SignIn
from .api.workspace import mount_page, webrtc_url, workspace_routes
from .store.web_sessions import WebSessions
from .workspace.events import EventHub
from .workspace.service import Workspace


# The ARI events callctl acts on; Asterisk is asked to send no others.
EVENTS_USED = ("StasisStart", "StasisEnd", "ChannelDestroyed", "ChannelHangupRequest",
               "PlaybackFinished", "PlaybackFailed", "ChannelDtmfReceived",
               "RecordingFinished", "RecordingFailed", "ChannelTransfer")
DIRECTORY_POLL_S = 0.5  # how soon a change made by another process reaches calls and phones
STOP_PART_S = 4  # each part of a stop at most (the unit gives the whole stop 20 s)


class Daemon:
    def __init__(self, config: Config, config_path: str | None = None):
        self.config = config
        self.engine = make_engine(config.database.url)
        services = from_config(config, sessions(self.engine))  # every service, wired
        self.directory_service, self.scheme_service = services.directory, services.schemes
        self.routing_service, self.prompt_service = services.routing, services.prompts
        self.outgoing_service, self.crm_service = services.outgoing, services.crm
        self.outgoing_policy = OutgoingPolicy(country=config.project.country)
        self.prompts: dict[str, str] = {}  # uploaded prompt name -> version
        self.default_sounds = load_defaults()
        self.media_url = media_base_url(config.pbx.media_url, config.http.host, config.http.port)
        self._directory_changed = asyncio.Event()
        self.catalog, self.directory_version = Catalog(), None
        self.ari = Ari(config.ari.url, config.ari.username, config.ari.password, config.ari.app)
        self.presence = PresenceTracker()
        self.contacts = ContactEvents(config.ami.host, config.ami.port, config.ami.username,
                                      config.ami.secret, self.on_contact, self.seed_presence)
        self.provisioner = Provisioner(self.ari, config.pbx.staff_transport,
                                       config.pbx.staff_context, config.pbx.webrtc_transport)
        call_log = CallLog(sessions(self.engine))
        self.workspace = Workspace(sessions(self.engine), self.directory_service,
                                   self.crm_service, call_log, config.project.timezone)
        self.hub = EventHub(lambda: self.catalog, self.current_presence,
                            self.workspace.screen_pop)
        self.recorder = CallRecorder(call_log)
        self.busy = BusyBoard()
        self.busy.watch(self.hub.on_calls_changed)  # pages see who is on a call, transfers too
        messages, outbox = Messages(sessions(self.engine)), Outbox(sessions(self.engine))
        self.notices = notifier_from_config(config, outbox,
                                            lambda box: box_targets(self.catalog, box))
        self.mailroom = Mailroom(self.ari, messages, box_of_call=call_log.voicemail_of,
                                 notify=self.notices.queue)
        self.listening = Listening(call_log, messages, outbox, lambda: self.catalog,
                                   self.notices.zone)
        crm = config.crm
        self.crm = CallCrm(crm, self.crm_service,
                           CrmEvents([Receiver(e.url, e.secret) for e in crm.events]),
                           HttpCrm(crm.http) if crm.source == "http" else None,
                           lambda: self.catalog)
        self.webhooks = Webhooks(config.webhooks)
        self.services = Services(
            ari=self.ari, call_log=call_log, recorder=self.recorder,
            catalog=lambda: self.catalog, presence=self.current_presence, busy=self.busy,
            media=PromptMedia(self.media_url, self.default_sounds, lambda: self.prompts),
            mailroom=self.mailroom, trunk=config.pbx.trunk_endpoint,
            timezone=config.project.timezone, sticky=config.project.sticky,
            fallback_context=config.pbx.fallback_context,
            outgoing=lambda: self.outgoing_policy, country=config.project.country,
            webhooks=self.webhooks, crm=self.crm, events=self.hub,
            codes=config.transfers.codes(), transfer_ring_s=config.transfers.ring_timeout)
        self.queues = self.services.queues = QueueRooms(self.services)
        self.router = self.queues.router = Router(self.services, config.ari.app)
        self.desk = TransferDesk(self.router)
        self.outage = Outage(self.router, self.astdb)
        self.click = ClickToCall(self.services, self.router)
        self.db_ready = False
        self.fallbacks_status = "not written yet"
        self._fallback_task: asyncio.Task | None = None
        self._registrations: asyncio.Queue = asyncio.Queue()
        self.loop_lag = LoopLag()
        self._stopping = asyncio.Event()
        self.notifier = Notifier()
        self.reloader = Reloader(config_path, config, self.reload_directory, self.notifier)

    @property
    def directory(self):
        return self.catalog.directory

    def current_presence(self) -> Presence:
        registered = self.presence.snapshot()
        return Presence(registered.registered, registered.everyone, self.busy.snapshot())

    def status(self) -> dict:
        ari = "connected" if self.ari.connected.is_set() else self.ari.last_error
        return {"ready": self.db_ready and self.ari.connected.is_set(), "ari": ari,
                "database": "ok" if self.db_ready else "not migrated",
                "calls": len(self.router.sessions), "fallbacks": self.fallbacks_status,
                "loop_lag_p99_ms": self.loop_lag.p99_ms(),
                "crm_events": self.crm.events.stats()}

    async def on_connect(self) -> None:
        await self.provisioner.sync(self.directory, full=True)
        app = self.config.ari.app
        await self.ari.request("PUT", f"/applications/{app}/eventFilter",
                               body={"allowed": [{"type": t} for t in EVENTS_USED]})
        # Earlier versions subscribed to endpoint:PJSIP for presence, which loads Asterisk
        # for every call and outlives the daemon: drop it (presence now comes over AMI).
        try:
            await self.ari.request("DELETE", f"/applications/{app}/subscription",
                                   params={"eventSource": "endpoint:PJSIP"})
        except AriError as exc:
            if exc.status not in (400, 404, 422):  # 422: was not subscribed
                raise
        await self.seed_presence()
        self.services.bridges.forget()  # the reconcile destroys those Asterisk still has
        await reconcile(self.router)
        self.outage.after_connect()  # the call log catches up with what Asterisk did
        self.mailroom.start_sweep()
        self._start_fallback_sync()

    async def seed_presence(self) -> None:
        """Who is registered now: after a (re)connect, events may have been missed."""
        for change in self.presence.seed(await self.ari.request("GET", "/endpoints/PJSIP")):
            self._registered(change)

    def on_contact(self, login: str, uri: str | None, status: str) -> None:
        self._registered(self.presence.contact(login, uri, status))

    def _registered(self, change: tuple[str, str, str | None]) -> None:
        self.queues.wake()  # an operator's phone came or went
        log.event("sip.registration", login=change[0], state=change[1], contact=change[2])
        self._registrations.put_nowait(change)
        self.hub.refresh()

    def on_event(self, ev) -> None:
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
        directory = await asyncio.to_thread(self.directory_service.snapshot)
        schemes = await asyncio.to_thread(self.scheme_service.snapshot)
        routing = await asyncio.to_thread(self.routing_service.snapshot)
        self.prompts = await asyncio.to_thread(self.prompt_service.catalog)
        self.outgoing_policy = await asyncio.to_thread(self.outgoing_service.policy)
        self.crm.users = await asyncio.to_thread(self.crm_service.users)
        self.catalog = catalog_from(directory, schemes, routing)
        self.directory_version = version
        self.hub.refresh()
        self.queues.wake()  # operators may have come or gone
        log.event("directory.loaded", version=version, employees=len(directory.employees),
                  numbers=len(directory.numbers), sip_accounts=len(directory.sip_accounts),
                  schemes=len(self.catalog.schemes), menus=len(self.catalog.menus),
                  voicemail_boxes=len(self.catalog.boxes), queues=len(self.catalog.queues))
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

    def astdb(self) -> AstDb:
        ami = self.config.ami
        return AstDb(ami.host, ami.port, ami.username, ami.secret)

    def _start_fallback_sync(self) -> None:
        if self._fallback_task is not None:
            self._fallback_task.cancel()
        self._fallback_task = asyncio.create_task(self.sync_fallbacks())

    async def sync_fallbacks(self) -> None:
        """Keep the daemon-absent programs in AstDB current (see domain/fallback.py);
        retried until Asterisk's AMI takes them."""
        catalog, version = self.catalog, self.directory_version
        programs = await asyncio.to_thread(lambda: [
            p for n in catalog.directory.numbers
            if (p := fallback_program(catalog, n.number)) is not None])
        table = fallback_table(programs, self.services.trunk, self.config.project.timezone)
        backoff = Backoff(base=0.5, cap=30)
        while True:
            try:
                async with self.astdb() as db:
                    changed = await db.sync(FALLBACK_FAMILY, table)
                self.fallbacks_status = f"{len(programs)} written"
                log.event("astdb.fallbacks_written", version=version, numbers=len(programs),
                          keys=len(table), changed=changed)
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
        ws_url = webrtc_url(self.config.pbx.webrtc_url, self.config.ari.url)
        mount_api(web_app, self.directory_service, ApiTokens(sessions(self.engine)),
                  schemes=self.scheme_service, run=self.run_service, prompts=self.prompt_service,
                  calls=self.listening, routing=self.routing_service,
                  more=lambda run: transfer_routes(self.desk, lambda: self.catalog)
                  + outgoing_routes(self.outgoing_service, run, self.click)
                  + crm_routes(self.crm_service, run) + workspace_routes(
                      self.hub, self.workspace, self.directory_service, self.crm_service, run,
                      ws_url=ws_url, timezone_name=self.config.project.timezone),
                  signin=SignIn(WebSessions(sessions(self.engine)),
                                secure=self.config.http.secure_cookies))
        mount_page(web_app, ws_url)
        mount_media(web_app, self.prompt_service, self.default_sounds)
        mount_listen_links(web_app, lambda: self.notices.links, self.listening.messages.audio)
        http = await serve(web_app, self.config.http.host, self.config.http.port)
        log.event("daemon.starting", http=f"{self.config.http.host}:{self.config.http.port}",
                  media=self.media_url)
        await asyncio.to_thread(upgrade, self.config.database.url)
        await self.load_directory()
        await self.queues.load_callbacks()
        self.db_ready = True
        tasks = [asyncio.create_task(self.ari.run_events(self.on_event, self.on_connect)),
                 asyncio.create_task(self.queues.run()),
                 asyncio.create_task(self.watch_directory()),
                 asyncio.create_task(self.record_registrations()),
                 asyncio.create_task(self.contacts.run()),
                 asyncio.create_task(self.loop_lag.run()),
                 asyncio.create_task(keep_watchdog(self.notifier)),
                 asyncio.create_task(self.notices.run())]
        self.notifier.ready("serving")
        await self._stopping.wait()
        self.notifier.stopping()
        log.event("daemon.stopping", calls=len(self.router.sessions))
        if self._fallback_task is not None:
            tasks.append(self._fallback_task)
        for task in tasks:
            task.cancel()
        self.hub.close()  # open event streams end, or the HTTP server would wait for them
        # Each part is bounded: a stop that hangs would leave systemd (or ops) to SIGKILL
        # the daemon, losing what the later parts write; a slow part is named in the log.
        for part, work in (("tasks", asyncio.gather(*tasks, return_exceptions=True)),
                           ("outage", self.outage.close()), ("calls", self.router.stop()),
                           ("mailroom", self.mailroom.close()),
                           ("notices", self.notices.close()), ("crm", self.crm.close()),
                           ("webhooks", self.webhooks.close()),
                           ("call_log", asyncio.to_thread(self.recorder.close)),
                           ("bridges", self.services.bridges.close()),
                           ("ari", self.ari.close()), ("http", http.cleanup())):
            try:
                await asyncio.wait_for(work, STOP_PART_S)
            except asyncio.TimeoutError:
                log.event("daemon.stop_slow", logging.WARNING, part=part, waited_s=STOP_PART_S)
        self.engine.dispose()
        log.event("daemon.stopped")
