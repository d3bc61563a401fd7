"""The voicemail outbox and its notifier, on a real SQLite file, against a real SMTP server
(aiosmtpd) and a local HTTP server standing in for an SMS gateway. The clock is the test's:
a retry is "due" when the test moves the clock, so no test sleeps."""
from __future__ import annotations

import asyncio
import threading
import json
import logging
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiosmtpd.smtp import SMTP

from callctl.config import SmsConfig
from callctl.domain.notices import RetryPolicy
from callctl.integrations.mail import SmtpMailer
from callctl.integrations.sms import SmsGateway
from callctl.store.calls import CallLog
from callctl.store.db import make_engine, sessions, upgrade
from callctl.store.messages import Messages
from callctl.store.notifications import Outbox
from callctl.voicemail.links import OK
from callctl.voicemail.mailroom import Delivery
from callctl.voicemail.notifier import LEASE, Notifier
from tests.support.audio import wav

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
POLICY = RetryPolicy(first=30, cap=120, give_up=600)
TARGETS = [("email", "alice@example.com"), ("sms", "+15550142")]


class Inbox:
    """aiosmtpd handler: refuses the first `refuse` messages with 451, keeps the others."""

    def __init__(self, refuse: int = 0):
        self.refuse, self.messages = refuse, []
        self.arrived = asyncio.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 mailbox busy, try again later"
        self.messages.append(message_from_bytes(envelope.original_content,
                                                policy=policy.default))
        self.arrived.set()
        return "250 OK"


class Gateway:
    """An SMS gateway's HTTP side: records each request, answers `status`."""

    def __init__(self, status: int = 201):
        self.status, self.requests = status, []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append({"method": request.method, "path": request.path,
                              "query": dict(request.query), "body": body,
                              "auth": request.headers.get("Authorization"),
                              "type": request.content_type})
        return web.json_response({"id": "sm-1"} if self.status < 300 else
                                 {"error": "quota exceeded"}, status=self.status)


@pytest.fixture
async def smtp():
    inbox = Inbox()
    server = await asyncio.get_running_loop().create_server(lambda: SMTP(inbox), "127.0.0.1",
                                                            0)
    inbox.port = server.sockets[0].getsockname()[1]
    yield inbox
    server.close()
    await server.wait_closed()


@pytest.fixture
async def gateway():
    gw = Gateway()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", gw.handle)
    server = TestServer(app)
    await server.start_server()
    gw.url = str(server.make_url("/"))
    yield gw
    await server.close()


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'callctl.db'}"
    upgrade(url)
    engine = make_engine(url)
    maker = sessions(engine)
    log = CallLog(maker)
    log.started("c1", "inbound", "+15550101", "+15557654321", T0, caller_name="Jane Roe")
    log.voicemail_started("c1", "General")
    log.ended("c1", "voicemail", T0 + timedelta(seconds=20))
    messages = Messages(maker)
    mid = messages.add("c1", "General", "callctl-vm-c1", 3.0, wav(1000, 3.0), T0)
    yield SimpleNamespace(outbox=Outbox(maker), messages=messages, message_id=mid, maker=maker)
    engine.dispose()


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now

    def advance(self, seconds: float):
        self.now += timedelta(seconds=seconds)


def sms_config(url: str, **kw) -> SmsConfig:
    return SmsConfig(url=url + "send", authorization="Bearer k3y", **kw)


def notifier(db, clock, smtp=None, gateway=None, targets=TARGETS, **kw) -> Notifier:
    mailer = smtp and SmtpMailer("127.0.0.1", smtp.port, "pbx@example.com", "unused")
    sms = gateway and SmsGateway(sms_config(gateway.url, **kw.pop("sms", {})))
    return Notifier(db.outbox, targets=lambda box: targets if box == "General" else None,
                    mailer=mailer, sms=sms, policy=POLICY, zone=ZoneInfo("Europe/Berlin"),
                    public_url="https://pbx.example.com", link_secret="s" * 32, clock=clock,
                    **kw)


def events(caplog, name: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(f"event={name} ")]


@pytest.fixture(autouse=True)
def _log_level(caplog):
    caplog.set_level(logging.INFO, logger="callctl")


async def deliver(n: Notifier, db) -> None:
    await n.queue(Delivery(db.message_id, "c1", "General", "+15557654321", "+15550101", 3.0,
                           T0))
    await n.drain()


# ---- the outbox itself ----------------------------------------------------------------------

def test_given_a_message_when_queued_twice_then_its_notifications_are_written_once(db):
    assert db.outbox.unqueued() == [(db.message_id, "General")]
    assert db.outbox.queue(db.message_id, TARGETS + TARGETS[:1], T0) is True
    assert db.outbox.queue(db.message_id, TARGETS, T0) is False
    rows = db.outbox.for_message(db.message_id)
    assert [(r.channel, r.recipient, r.state, r.attempts) for r in rows] == \
        [("email", "alice@example.com", "pending", 0), ("sms", "+15550142", "pending", 0)]
    assert db.outbox.unqueued() == []


def test_given_a_due_notification_when_two_daemons_claim_it_then_only_one_gets_it(db):
    db.outbox.queue(db.message_id, TARGETS[:1], T0)
    [item] = db.outbox.due(T0)
    assert (item.caller, item.caller_name, item.number, item.box, item.seconds) == \
        ("+15557654321", "Jane Roe", "+15550101", "General", 3.0)
    assert db.outbox.claim(item, T0 + LEASE) is True
    assert db.outbox.claim(item, T0 + LEASE) is False
    assert db.outbox.due(T0 + LEASE - timedelta(seconds=1)) == []  # leased
    assert [i.attempts for i in db.outbox.due(T0 + LEASE)] == [1]  # the lease ran out


def test_given_the_link_secret_when_asked_twice_then_the_first_one_made_is_kept(db):
    first = db.outbox.secret("voicemail_links", lambda: "one")
    assert db.outbox.secret("voicemail_links", lambda: "two") == first == "one"


# ---- sending ------------------------------------------------------------------------------

async def test_given_a_message_then_the_email_and_the_sms_go_out_with_a_working_link(
        db, smtp, gateway, caplog):
    clock = Clock()
    n = notifier(db, clock, smtp, gateway)
    await deliver(n, db)

    [mail] = smtp.messages
    assert mail["To"] == "alice@example.com" and mail["From"] == "pbx@example.com"
    assert mail["Subject"] == "Voicemail from Jane Roe <+15557654321> (0:03)"
    body = mail.get_content()
    assert "Time:     2026-11-23 10:00 (Europe/Berlin)" in body
    link = next(line.strip() for line in body.splitlines() if "/voicemail/" in line)
    assert link.startswith(f"https://pbx.example.com/voicemail/{db.message_id}.wav?")

    [sms] = gateway.requests
    assert (sms["method"], sms["path"], sms["auth"], sms["type"]) == \
        ("POST", "/send", "Bearer k3y", "application/json")
    sent = json.loads(sms["body"])
    assert sent["to"] == "+15550142"
    assert sent["text"] == (f"Voicemail from +15557654321 to +15550101, 3 s, "
                            f"2026-11-23 10:00: {link}")
    query = dict(p.split("=") for p in link.split("?")[1].split("&"))
    assert n.links.check(db.message_id, query["expires"], query["sig"], clock.now) == OK

    assert [(r.state, r.attempts) for r in db.outbox.for_message(db.message_id)] == \
        [("sent", 1), ("sent", 1)]
    assert len(events(caplog, "notify.queued")) == 1
    assert len(events(caplog, "notify.attempt")) == 2 == len(events(caplog, "notify.sent"))


async def test_given_a_refusing_mail_server_when_it_accepts_later_then_the_email_is_retried(
        db, smtp, caplog):
    smtp.refuse = 2
    clock = Clock()
    n = notifier(db, clock, smtp, targets=TARGETS[:1])
    await deliver(n, db)
    [row] = db.outbox.for_message(db.message_id)
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.last_error == "mail server answered 451: 4.3.0 mailbox busy, try again later"
    [failed] = events(caplog, "notify.failed")
    assert "attempt=1" in failed and "retry_in=30.0" in failed

    clock.advance(29)
    await n.drain()  # not due yet
    assert len(events(caplog, "notify.attempt")) == 1
    clock.advance(1)
    await n.drain()
    assert "retry_in=60.0" in events(caplog, "notify.failed")[1]
    clock.advance(60)
    await n.drain()

    assert len(smtp.messages) == 1
    [row] = db.outbox.for_message(db.message_id)
    assert (row.state, row.attempts) == ("sent", 3)
    assert "attempt=3" in events(caplog, "notify.sent")[0]


async def test_given_a_mail_server_that_never_answers_then_it_gives_up_at_the_deadline(
        db, caplog):
    dead = SmtpMailer("127.0.0.1", 9, "pbx@example.com", "unused", timeout=2)  # discard port
    clock = Clock()
    n = notifier(db, clock, targets=TARGETS[:1])
    n.mailer = dead
    await deliver(n, db)
    for _ in range(12):  # after 30, 60, 120, 120, 120, 120 s, then on the deadline
        due = db.outbox.next_due()
        if due is None:
            break
        clock.now = due
        await n.drain()
    [row] = db.outbox.for_message(db.message_id)
    assert row.state == "failed" and row.attempts == 8
    assert clock.now == T0 + timedelta(seconds=600)  # the last try was on the deadline
    [gave_up] = events(caplog, "notify.gave_up")
    assert "attempt=8" in gave_up and "Connection refused" in gave_up
    assert db.messages.for_call("c1") is not None  # the message itself stays


async def test_given_no_sms_section_then_the_sms_fails_saying_why(db, caplog):
    n = notifier(db, Clock(), targets=TARGETS[1:])
    await deliver(n, db)
    [row] = db.outbox.for_message(db.message_id)
    assert row.last_error == "no sms section in the configuration"


async def test_given_a_failing_gateway_then_its_answer_is_the_error(db, gateway):
    gateway.status = 402
    n = notifier(db, Clock(), gateway=gateway, targets=TARGETS[1:])
    await deliver(n, db)
    [row] = db.outbox.for_message(db.message_id)
    assert row.last_error == 'gateway answered HTTP 402: {"error": "quota exceeded"}'
    assert row.state == "pending"


async def test_given_a_form_gateway_then_fields_are_form_encoded_and_the_url_quoted(
        db, gateway):
    n = notifier(db, Clock(), gateway=gateway, targets=TARGETS[1:],
                 sms={"encoding": "form", "body": {"To": "{recipient}", "From": "ACME",
                                                   "Body": "{caller} left {seconds} s"}})
    n.sms.config = n.sms.config.model_copy(update={"url": gateway.url + "m/{recipient}"})
    await deliver(n, db)
    [sms] = gateway.requests
    assert sms["path"] == "/m/+15550142"  # sent as %2B15550142
    assert sms["type"] == "application/x-www-form-urlencoded"
    assert sms["body"] == b"To=%2B15550142&From=ACME&Body=%2B15557654321+left+3+s"


async def test_given_a_get_gateway_then_everything_is_in_the_url(db, gateway):
    n = notifier(db, Clock(), gateway=gateway, targets=TARGETS[1:], sms={"method": "GET"})
    n.sms.config = n.sms.config.model_copy(
        update={"url": gateway.url + "send?to={recipient}&msg={text}"})
    await deliver(n, db)
    [sms] = gateway.requests
    assert sms["method"] == "GET" and sms["body"] == b""
    assert sms["query"]["to"] == "+15550142"
    assert sms["query"]["msg"].startswith("Voicemail from +15557654321 to +15550101, 3 s")


async def test_given_a_message_whose_call_record_is_missing_then_it_is_told_all_the_same(
        db, smtp):
    ghost = db.messages.add("ghost", "General", "callctl-vm-ghost", 2.0, wav(1000, 2.0), T0)
    n = notifier(db, Clock(), smtp, targets=TARGETS[:1])
    await n.queue(Delivery(ghost, "ghost", "General", "", "", 2.0, T0))
    await n.drain()
    [mail] = smtp.messages
    assert mail["Subject"] == "Voicemail from an unknown number (0:02)"
    assert "call ghost" in mail.get_content()


# ---- restarts -----------------------------------------------------------------------------

async def test_given_a_pending_notification_when_a_new_daemon_starts_then_it_is_sent(
        db, smtp):
    smtp.refuse = 1
    clock = Clock()
    await deliver(notifier(db, clock, smtp, targets=TARGETS[:1]), db)  # refused: pending
    assert smtp.messages == []

    clock.advance(30)
    await notifier(db, clock, smtp, targets=TARGETS[:1]).drain()  # a new daemon's notifier
    assert len(smtp.messages) == 1
    assert [(r.state, r.attempts) for r in db.outbox.for_message(db.message_id)] == \
        [("sent", 2)]


async def test_given_a_message_stored_but_never_queued_when_the_daemon_starts_then_it_is(
        db, smtp, caplog):
    n = Notifier(db.outbox, targets=lambda box: TARGETS[:1],
                 mailer=SmtpMailer("127.0.0.1", smtp.port, "pbx@example.com", "unused"),
                 public_url="https://pbx.example.com")
    task = asyncio.create_task(n.run())
    try:
        await asyncio.wait_for(smtp.arrived.wait(), 5)
    finally:
        task.cancel()
    assert len(events(caplog, "notify.queued")) == 1
    assert db.outbox.unqueued() == []
    # No secret configured: one was made and kept for the next start
    assert db.outbox.secret("voicemail_links", lambda: "other") == n.links.secret.decode()


async def test_given_a_box_that_is_gone_then_the_message_is_marked_and_nobody_told(db, caplog):
    n = notifier(db, Clock(), targets=TARGETS)
    await n.queue(Delivery(db.message_id, "c1", "Deleted box", "", "", 3.0, T0))
    assert db.outbox.for_message(db.message_id) == [] and db.outbox.unqueued() == []
    assert len(events(caplog, "notify.no_box")) == 1


@pytest.mark.filterwarnings("ignore:autogenerate skipping", "ignore:Skipped unsupported")
def test_given_the_migrated_database_then_the_outbox_tables_match_the_models(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from callctl.store.models import Base
    mine = {"voicemail_notifications", "app_secrets", "voice_messages"}
    with db.maker.kw["bind"].connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diffs if any(name in repr(d) for name in mine)] == []


class StuckMailer:
    """A mail server that has the message and has not answered yet when the daemon stops."""

    def __init__(self):
        self.started, self.release = threading.Event(), threading.Event()

    def send_text(self, to, subject, body):
        self.started.set()
        self.release.wait(5)
        raise OSError("stopped waiting")


async def test_given_a_try_cut_short_by_a_stop_then_the_next_start_tries_it_at_once(db, smtp):
    clock = Clock()
    n = notifier(db, clock, targets=TARGETS[:1])
    n.mailer = stuck = StuckMailer()
    await n.queue(Delivery(db.message_id, "c1", "General", "+15557654321", "+15550101", 3.0,
                           T0))
    drain = asyncio.create_task(n.drain())
    assert await asyncio.to_thread(stuck.started.wait, 5)
    drain.cancel()  # the daemon stops mid-try
    with pytest.raises(asyncio.CancelledError):
        await drain
    stuck.release.set()

    # The same instant, a new daemon: not kept waiting for the try's 5-minute lease.
    await notifier(db, clock, smtp, targets=TARGETS[:1]).drain()
    assert len(smtp.messages) == 1
    [row] = db.outbox.for_message(db.message_id)
    assert (row.state, row.attempts) == ("sent", 2)
