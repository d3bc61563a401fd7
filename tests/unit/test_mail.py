"""The invitation e-mail, sent through smtplib to a real aiosmtpd server on loopback."""
from __future__ import annotations

import asyncio
from email import message_from_bytes, policy

import pytest
from aiosmtpd.smtp import SMTP, AuthResult

from callctl.integrations.mail import INVITATION_SUBJECT, SmtpMailer


class Inbox:
    """aiosmtpd handler that keeps every message it accepts, as the server received it."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
async def smtp_server():
    """A real SMTP server on 127.0.0.1 and an ephemeral port, in this test's event loop."""
    inbox = Inbox()
    logins = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(inbox, authenticator=authenticate, auth_require_tls=False),
        "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield port, inbox, logins
    server.close()
    await server.wait_closed()


async def test_given_a_mailer_when_inviting_then_the_server_receives_the_link_and_name(
        smtp_server):
    port, inbox, _ = smtp_server
    mailer = SmtpMailer("127.0.0.1", port, "pbx@example.com", "https://pbx.example.com/")

    # smtplib blocks: run it off the loop, as the API does with the directory service.
    await asyncio.to_thread(mailer.send_invitation, to="alice@example.com",
                            name="Alice Smith", token="tok-123")

    [envelope] = inbox.envelopes
    assert envelope.mail_from == "pbx@example.com"
    assert envelope.rcpt_tos == ["alice@example.com"]
    msg = message_from_bytes(envelope.original_content, policy=policy.default)
    assert msg["Subject"] == INVITATION_SUBJECT
    assert msg["From"] == "pbx@example.com"
    assert msg["To"] == "Alice Smith <alice@example.com>"
    assert msg.get_content_type() == "text/plain"
    body = msg.get_content()
    assert "https://pbx.example.com/invite/tok-123" in body
    assert "Alice Smith" in body


async def test_given_credentials_when_inviting_then_the_mailer_logs_in_first(smtp_server):
    port, inbox, logins = smtp_server
    mailer = SmtpMailer("127.0.0.1", port, "pbx@example.com", "http://localhost:8080",
                        username="pbx", password="s3cret")

    await asyncio.to_thread(mailer.send_invitation, "bob@example.com", "Bob", "t0k")

    assert logins == [(b"pbx", b"s3cret")]
    assert len(inbox.envelopes) == 1

