"""Voicemail notifications from real calls: a caller leaves a 1 kHz message in a box; its
people get an e-mail at a real SMTP server (aiosmtpd) whose link, served by the daemon,
returns that audio, and an SMS at the test's own Twilio-style gateway. A refusing mail
server delays the e-mails (retried with backoff, across a daemon restart) but loses none.
"""
from __future__ import annotations

import re
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import create_engine, text as sql

from callctl.voicemail.links import ListenLinks
from tests.support.audio import dominant_frequency, samples_of, wav
from tests.support.notify_servers import Mailbox, SmsGateway

from .conftest import BOB_NUMBER, cli, free_port

pytestmark = pytest.mark.integration

NUMBER = BOB_NUMBER  # served by the box directly here
HTTP_PORT, SMTP_PORT, GATEWAY_PORT = free_port(), free_port(), free_port()
BERLIN = ZoneInfo("Europe/Berlin")
EMAILS = ("alice@example.com", "bob@example.com", "office@example.com")
SMS_TO = "+15550142"
GATEWAY = f"http://127.0.0.1:{GATEWAY_PORT}/2010-04-01/Accounts/AC42/Messages.json"
DAEMON_CONFIG = {
    "http": {"port": HTTP_PORT},
    "project": {"timezone": "Europe/Berlin"},
    "smtp": {"host": "127.0.0.1", "port": SMTP_PORT, "sender": "pbx@example.com",
             "base_url": f"http://127.0.0.1:{HTTP_PORT}"},  # links point at the daemon
    "notifications": {"retry_first_seconds": 0.5, "retry_max_seconds": 1},
    "sms": {"url": GATEWAY, "authorization": "Basic QUM0Mjp0MGtlbg==",  # AC42:t0ken
            "encoding": "form",
            "body": {"To": "{recipient}", "From": "+15550100",
                     "Body": "Voicemail from {caller} ({seconds} s) at {time}: {link}"}},
}


@pytest.fixture(scope="module")
def mailbox():
    with Mailbox(SMTP_PORT) as box:
        yield box


@pytest.fixture(scope="module")
def gateway():
    with SmsGateway(GATEWAY_PORT, "AC42", "t0ken") as gw:
        yield gw


@pytest.fixture(scope="module")
def front_desk(daemon, tmp_path_factory):
    """Box "Front desk" serving NUMBER: tells Alice, the Sales department (Bob), the office
    address and a mobile by SMS. Its greeting is a short tone."""
    folder = tmp_path_factory.mktemp("front-desk")
    (folder / "greeting.wav").write_bytes(wav(600, 0.5))
    cli(daemon.path, "prompts", "add", "front-desk-greeting", str(folder / "greeting.wav"))
    cli(daemon.path, "departments", "add", "--name", "Sales", "--extension", "600")
    cli(daemon.path, "employees", "edit", "Bob Jones", "--department", "Sales")
    box = {"name": "Front desk", "greeting": "front-desk-greeting", "max_seconds": 10,
           "silence_seconds": 0, "notify": [{"employee": "Alice Smith"},
                                            {"department": "Sales"},
                                            {"email": "office@example.com"}, {"sms": SMS_TO}]}
    (folder / "box.yaml").write_text(yaml.safe_dump(box))
    cli(daemon.path, "voicemail", "add", str(folder / "box.yaml"))
    cli(daemon.path, "voicemail", "route", NUMBER, "Front desk")
    daemon.wait_directory_loaded()


def leave_message(daemon, carrier, caller: str, seconds: float) -> str:
    """A caller leaves `seconds` of a 1 kHz tone, ends it with '#'; returns the call id."""
    call = carrier.call(NUMBER, caller_id=caller)
    call.wait_state("CONFIRMED")
    call_id = daemon.wait_log("call.voicemail_recording", box="Front desk", timeout=10)["call"]
    call.play_tone(1000)
    call.record(seconds)  # the tone goes into the message meanwhile
    call.stop_tone()
    call.send_dtmf("#")
    call.wait_disconnected(timeout=10)
    daemon.wait_log("call.ended", call=call_id, outcome="voicemail")
    daemon.wait_log("voicemail.stored", call=call_id, timeout=10)
    return call_id


def fetch(url: str, headers: dict | None = None) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}),
                                    timeout=5) as resp:
            return resp.status, resp.headers.get_content_type(), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get_content_type(), err.read()


def assert_is_the_message(audio: bytes) -> None:
    samples = samples_of(audio)
    assert 2.5 <= len(samples) / 8000 <= 4.5
    assert abs(dominant_frequency(samples, 8000) - 1000) < 20


def link_in(text: str) -> str:
    return re.search(r"http://127\.0\.0\.1:\d+/voicemail/\d+\.wav\?\S+", text).group(0)


def test_given_a_message_when_left_then_email_and_sms_carry_a_link_that_plays_it(
        daemon, carrier, front_desk, mailbox, gateway, ari):
    caller = "+15557100021"
    call_id = leave_message(daemon, carrier, caller, 3.0)
    left = datetime.now(BERLIN)
    for address in EMAILS:
        daemon.wait_log("notify.sent", channel="email", recipient=address, call=call_id)
    daemon.wait_log("notify.sent", channel="sms", recipient=SMS_TO, call=call_id)

    shown = cli(daemon.path, "calls", "show", call_id)
    assert shown["outcome"] == "voicemail"
    assert shown["message"]["box"] == "Front desk"
    seconds = round(shown["message"]["seconds"])  # what the e-mail and the SMS must say
    assert 2 <= seconds <= 4
    assert sorted((n["channel"], n["recipient"], n["state"])
                  for n in shown["message"]["notifications"]) == \
        sorted([("email", a, "sent") for a in EMAILS] + [("sms", SMS_TO, "sent")])

    for address in EMAILS:
        [mail] = mailbox.to(address)
        assert mail["Subject"] == f"Voicemail from {caller} (0:{seconds:02})"
        body = mail.get_content().replace("\r\n", "\n")  # as sent over SMTP
        assert f"Caller:   {caller}\n" in body and f"Dialled:  {NUMBER}\n" in body
        when = re.search(r"Time:     (\S+ \S+) \(Europe/Berlin\)", body).group(1)
        sent = datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=BERLIN)
        assert abs(sent - left) < timedelta(minutes=1)
        assert "voicemail box 'Front desk'" in body
        status, kind, audio = fetch(link_in(body))
        assert (status, kind) == (200, "audio/wav")
        assert_is_the_message(audio)

    [sms] = [m for m in gateway.received if caller in m["Body"]]
    assert (sms["To"], sms["From"]) == (SMS_TO, "+15550100")
    assert sms["Body"].startswith(f"Voicemail from {caller} ({seconds} s) at ")
    assert fetch(link_in(sms["Body"]))[:2] == (200, "audio/wav")
    ari.assert_clean()


def test_given_a_message_then_the_cli_and_the_api_give_its_audio(
        daemon, carrier, front_desk, mailbox, gateway, tmp_path):
    call_id = leave_message(daemon, carrier, "+15557100022", 3.0)
    out = tmp_path / "message.wav"
    written = cli(daemon.path, "calls", "recording", call_id, "-o", str(out))
    assert written["box"] == "Front desk"
    assert_is_the_message(out.read_bytes())

    token = cli(daemon.path, "tokens", "create", "Bob Jones")["token"]  # Sales is told
    api = f"http://127.0.0.1:{HTTP_PORT}/api/v1/calls/{call_id}/recording"
    status, kind, audio = fetch(api, {"Authorization": f"Bearer {token}"})
    assert (status, kind, audio) == (200, "audio/wav", out.read_bytes())


def test_given_a_changed_or_expired_link_then_it_is_refused_saying_why(
        daemon, carrier, front_desk, mailbox, gateway):
    call_id = leave_message(daemon, carrier, "+15557100023", 2.0)
    daemon.wait_log("notify.sent", channel="email", recipient=EMAILS[0], call=call_id)
    [mail] = [m for m in mailbox.to(EMAILS[0]) if "+15557100023" in m["Subject"]]
    link = link_in(mail.get_content())
    expires = int(re.search(r"expires=(\d+)", link).group(1))
    message_id = int(re.search(r"/voicemail/(\d+)\.wav", link).group(1))

    for changed in (link.replace(f"expires={expires}", f"expires={expires + 86400}"),
                    link.replace(f"/{message_id}.wav", f"/{message_id - 1}.wav"),
                    link[:-2] + ("AA" if not link.endswith("AA") else "BB"),
                    link.split("&sig=")[0]):
        status, _kind, text = fetch(changed)
        assert status == 403
        assert b"not valid: it is incomplete or was changed" in text

    # A genuine link whose week is over: signed with the daemon's own key, a day ago.
    engine = create_engine(daemon.config["database"]["url"])
    with engine.connect() as conn:
        secret = conn.execute(sql("SELECT value FROM app_secrets")).scalar_one()
    engine.dispose()
    signer = ListenLinks(secret.encode(), f"http://127.0.0.1:{HTTP_PORT}", timedelta(days=7))
    old = signer.link(message_id, datetime.now(timezone.utc) - timedelta(days=8))[0]
    status, _kind, text = fetch(old)
    assert status == 410 and b"expired on " in text
    assert fetch(link)[0] == 200  # the genuine one still plays


def test_given_a_refusing_mail_server_when_it_accepts_after_a_restart_then_no_email_is_lost(
        daemon, carrier, front_desk, mailbox, gateway, ari):
    mailbox.refusing = True
    caller = "+15557100024"
    call_id = leave_message(daemon, carrier, caller, 2.0)
    daemon.wait_log("notify.sent", channel="sms", recipient=SMS_TO, call=call_id)
    for attempt in ("1", "2"):  # tried again after the backoff, still refused
        failed = daemon.wait_log("notify.failed", channel="email", recipient=EMAILS[0],
                                 call=call_id, attempt=attempt, timeout=5)
        assert failed["error"] == "mail server answered 451: 4.3.0 mailbox busy, try again later"
    shown = cli(daemon.path, "calls", "show", call_id)
    assert shown["outcome"] == "voicemail" and shown["message"]["box"] == "Front desk"
    assert {n["state"] for n in shown["message"]["notifications"]
            if n["channel"] == "email"} == {"pending"}

    assert daemon.stop() == 0  # the e-mails are still pending: only the outbox has them
    mailbox.refusing = False
    daemon.start()
    for address in EMAILS:
        sent = daemon.wait_log("notify.sent", channel="email", recipient=address,
                               call=call_id, timeout=15)
        assert int(sent["attempt"]) >= 3
        [mail] = [m for m in mailbox.to(address) if caller in m["Subject"]]
        assert fetch(link_in(mail.get_content()))[:2] == (200, "audio/wav")
    shown = cli(daemon.path, "calls", "show", call_id)
    assert {n["state"] for n in shown["message"]["notifications"]} == {"sent"}
    assert len([m for m in gateway.received if caller in m["Body"]]) == 1  # SMS sent once
    ari.assert_clean()
