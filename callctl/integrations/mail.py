"""Outgoing e-mail over SMTP: the employee invitation with its one-time link, and plain
text e-mails for other parts (voicemail notifications).

Synchronous on purpose: the directory service calls it from a worker thread, never from the
event loop, and smtplib is the plainest correct client there is.
"""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

INVITATION_SUBJECT = "You're invited to callctl"


class SmtpMailer:
    def __init__(self, host: str, port: int, sender: str, base_url: str, *,
                 starttls: bool = False, username: str | None = None,
                 password: str | None = None, timeout: float = 10.0):
        self.host, self.port, self.sender = host, port, sender
        self.base_url = base_url.rstrip("/")  # so the link never has "//invite"
        self.starttls, self.username, self.password = starttls, username, password
        self.timeout = timeout

    def invitation_link(self, token: str) -> str:
        return f"{self.base_url}/invite/{token}"

    def send_invitation(self, to: str, name: str, token: str) -> None:
        self.send_text(formataddr((name, to)), INVITATION_SUBJECT,
                       f"Hello {name},\n\n"
                       "An account has been created for you on callctl, your company's phone "
                       "system.\nOpen this link to choose your password. It works once:\n\n"
                       f"    {self.invitation_link(token)}\n\n"
                       "If you did not expect this e-mail, you can ignore it.\n")

    def send_text(self, to: str, subject: str, body: str) -> None:
        """A plain-text e-mail from the configured sender."""
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = self.sender
        msg["To"] = to
        msg["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        msg.set_content(body)
        self.send(msg)

    def send(self, msg: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(msg)


def mailer_from_config(smtp) -> "SmtpMailer | None":
    """The configured mailer (callctl.config.SmtpConfig), or None when there is no smtp
    section: invitations are then only returned, never sent."""
    if smtp is None:
        return None
    return SmtpMailer(smtp.host, smtp.port, smtp.sender, smtp.base_url, starttls=smtp.starttls,
                      username=smtp.username, password=smtp.password)
