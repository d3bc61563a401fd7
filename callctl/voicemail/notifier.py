"""Tells a voicemail box's people about a new message, by e-mail and SMS, through the
outbox (store/notifications.py): the mailroom's `notify` hook only writes rows there, in one
transaction; one task of the daemon sends what is due, one try at a time, and on failure
schedules the next try (capped backoff, domain/notices.RetryPolicy) until it gives up. So a
failing mail server or gateway never holds up a call, and a restart loses nothing.

Every try is logged: notify.attempt, then notify.sent, notify.failed (with the next try) or
notify.gave_up.
"""
from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import smtplib
from datetime import datetime, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from .. import log
from ..domain.notices import Notice, RetryPolicy
from ..store.notifications import Outbox, Pending
from .links import ListenLinks
from .mailroom import Delivery

LEASE = timedelta(minutes=5)  # a try cut short by a crash is repeated after this
POLL_S = 30.0  # also look for work queued by another daemon on the same database
OUTBOX_AWAY_S = 5.0  # the database failed: look again after this
SECRET_NAME = "voicemail_links"

Targets = list[tuple[str, str]]  # (channel, recipient)


class Notifier:
    def __init__(self, outbox: Outbox, *, targets: Callable[[str], Targets | None],
                 mailer=None, sms=None, policy: RetryPolicy = RetryPolicy(),
                 zone: ZoneInfo = ZoneInfo("UTC"), public_url: str,
                 link_lifetime: timedelta = timedelta(days=7), link_secret: str | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        """`targets(box)`: whom the box tells now, None when there is no such box. `mailer`
        (integrations/mail.SmtpMailer) and `sms` (integrations/sms.SmsGateway) may be None:
        such notifications then fail, are retried and, unless configured meanwhile, given
        up."""
        self.outbox, self._targets = outbox, targets
        self.mailer, self.sms, self.policy, self.zone = mailer, sms, policy, zone
        self.public_url, self._lifetime, self._secret = public_url, link_lifetime, link_secret
        self.clock = clock
        self.links: ListenLinks | None = None  # once load_links() ran
        self._wake = asyncio.Event()

    async def load_links(self) -> ListenLinks:
        """The link signer: the configured secret, else the one kept in the database."""
        if self.links is None:
            secret = self._secret or await asyncio.to_thread(
                self.outbox.secret, SECRET_NAME,
                lambda: base64.b64encode(secrets.token_bytes(32)).decode())
            self.links = ListenLinks(secret.encode(), self.public_url, self._lifetime)
        return self.links

    # ---- filling the outbox ----------------------------------------------------------------

    async def queue(self, delivery: Delivery) -> None:
        """The mailroom's hook: never raises, never waits for a mail server."""
        await self._queue(delivery.message_id, delivery.box)
        self._wake.set()

    async def _queue(self, message_id: int, box: str) -> None:
        targets = self._targets(box)
        if targets is None:
            log.event("notify.no_box", logging.WARNING, message=message_id, box=box)
        try:
            queued = await asyncio.to_thread(self.outbox.queue, message_id, targets or [],
                                             self.clock())
        except Exception as exc:  # the database is away: queued at the next start
            log.event("notify.queue_failed", logging.WARNING, message=message_id,
                      error=repr(exc))
            return
        if queued:
            log.event("notify.queued", message=message_id, box=box,
                      email=sum(c == "email" for c, _ in targets or []),
                      sms=sum(c == "sms" for c, _ in targets or []))

    # ---- draining it -----------------------------------------------------------------------

    async def run(self) -> None:
        while True:
            try:
                await self.load_links()
                for message_id, box in await asyncio.to_thread(self.outbox.unqueued):
                    await self._queue(message_id, box)  # stored, then the daemon stopped
                break
            except Exception as exc:
                log.event("notify.outbox_unavailable", logging.WARNING, error=repr(exc))
                await asyncio.sleep(OUTBOX_AWAY_S)
        while True:
            try:
                await self.drain()
                due = await asyncio.to_thread(self.outbox.next_due)
                wait = POLL_S if due is None else (due - self.clock()).total_seconds()
            except Exception as exc:
                log.event("notify.outbox_unavailable", logging.WARNING, error=repr(exc))
                wait = OUTBOX_AWAY_S
            try:
                await asyncio.wait_for(self._wake.wait(), min(max(wait, 0.0), POLL_S))
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    async def drain(self) -> None:
        """Try everything that is due now, oldest first."""
        while due := await asyncio.to_thread(self.outbox.due, self.clock()):
            for item in due:
                if await asyncio.to_thread(self.outbox.claim, item, self.clock() + LEASE):
                    await self.attempt(item)

    async def attempt(self, item: Pending) -> None:
        attempt = item.attempts + 1
        fields = dict(channel=item.channel, recipient=item.recipient, message=item.message_id,
                      call=item.call_id, attempt=attempt)
        log.event("notify.attempt", **fields)
        try:
            await self._send(item)
        except asyncio.CancelledError:  # the daemon stops: the next start tries it at once
            await asyncio.to_thread(self.outbox.released, item.id, self.clock())
            raise
        except Exception as exc:
            error = _describe(exc)
            now = self.clock()
            retry_at = self.policy.next_attempt(attempt, item.queued_at, now)
            await asyncio.to_thread(self.outbox.failed, item.id, error, retry_at, now)
            if retry_at is None:
                log.event("notify.gave_up", logging.ERROR, **fields, error=error,
                          queued=item.queued_at.isoformat(timespec="seconds"))
            else:
                log.event("notify.failed", logging.WARNING, **fields, error=error,
                          retry_in=round((retry_at - now).total_seconds(), 1))
            return
        await asyncio.to_thread(self.outbox.sent, item.id, self.clock())
        log.event("notify.sent", **fields)

    async def _send(self, item: Pending) -> None:
        link, expires = (await self.load_links()).link(item.message_id, self.clock())
        notice = Notice(item.message_id, item.call_id, item.box, item.caller, item.caller_name,
                        item.number, item.seconds, item.left_at, link, expires)
        if item.channel == "email":
            if self.mailer is None:
                raise LookupError("no smtp section in the configuration")
            await asyncio.to_thread(self.mailer.send_text, item.recipient, notice.subject(),
                                    notice.email_body(self.zone))
        else:
            if self.sms is None:
                raise LookupError("no sms section in the configuration")
            await self.sms.send(notice.fields(self.zone, item.recipient))

    async def close(self) -> None:
        if self.sms is not None:
            await self.sms.close()


def notifier_from_config(config, outbox: Outbox, targets: Callable[[str], Targets | None]
                         ) -> Notifier:
    """The daemon's notifier from callctl.config.Config. Links point to
    notifications.public_url, else smtp.base_url, else the http section's address."""
    from ..integrations.mail import mailer_from_config
    from ..integrations.sms import SmsGateway
    from ..prompts.media import media_base_url
    n = config.notifications
    public_url = n.public_url or (config.smtp.base_url if config.smtp else None) or \
        media_base_url(None, config.http.host, config.http.port)
    return Notifier(outbox, targets=targets, mailer=mailer_from_config(config.smtp),
                    sms=SmsGateway(config.sms) if config.sms else None,
                    policy=RetryPolicy(n.retry_first_seconds, n.retry_max_seconds,
                                       n.give_up_hours * 3600),
                    zone=ZoneInfo(config.project.timezone), public_url=public_url,
                    link_lifetime=timedelta(days=n.link_days), link_secret=n.link_secret)


def box_targets(catalog, box_name: str) -> Targets | None:
    """Whom box `box_name` of a Catalog tells, as the directory is now; None: no such box."""
    box = catalog.boxes.get(box_name)
    if box is None:
        return None
    emails, phones = box.recipients(catalog.directory)
    return [("email", e) for e in emails] + [("sms", p) for p in phones]


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"mail server answered {exc.smtp_code}: {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
        return f"mail server refused the recipient: {code} {_text(text)}"
    return str(exc) or type(exc).__name__


def _text(raw) -> str:
    return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
