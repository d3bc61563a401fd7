"""Registration changes of SIP phones, as AMI ContactStatus events.

One long-lived AMI session whose events Asterisk itself filters down to ContactStatus, so
presence costs Asterisk nothing per call. (An ARI `endpoint:PJSIP` subscription would do it
too, but makes Asterisk queue every event of every PJSIP channel for the app, including
calls callctl never handles, and delivers each channel event of callctl's own calls twice.)
panoramisk reconnects by itself; after each login the filter is set again and `on_login`
lets the owner re-read what may have changed meanwhile.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from panoramisk import Manager

from .. import log

OnContact = Callable[[str, str | None, str], None]  # login, contact URI, status


class ContactEvents:
    def __init__(self, host: str, port: int, username: str, secret: str,
                 on_contact: OnContact, on_login: Callable[[], Awaitable[None]]):
        self._on_contact, self._on_login = on_contact, on_login
        self.manager = Manager(host=host, port=port, username=username, secret=secret,
                               ping_delay=10, ping_interval=10, reconnect_timeout=2,
                               on_login=self._logged_in)
        self.manager.register_event("ContactStatus", self._event)

    async def run(self) -> None:
        self.manager.connect()
        try:
            await asyncio.Event().wait()  # panoramisk's own callbacks do the work
        finally:
            self.manager.close()

    def _logged_in(self, manager: Manager) -> None:
        manager.send_action({"Action": "Filter", "Operation": "Add",
                             "Filter": "Event: ContactStatus"})
        log.event("ami.connected", purpose="registrations")
        asyncio.ensure_future(self._reseed())

    async def _reseed(self) -> None:
        try:
            await self._on_login()
        except Exception as exc:  # ARI away: its own reconnect seeds again
            log.event("sip.presence_seed_failed", logging.WARNING, error=repr(exc))

    def _event(self, manager: Manager, event) -> None:
        login = event.get("EndpointName") or event.get("AOR")
        if login:
            self._on_contact(login, event.get("URI"), event.get("ContactStatus", ""))
