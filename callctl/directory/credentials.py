"""Secrets: SIP passwords, one-time invitation tokens (and their e-mail), login passwords."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from .. import log

INVITATION_TTL = timedelta(hours=72)
MIN_PASSWORD = 8


def new_sip_password() -> str:
    return secrets.token_urlsafe(18)  # 24 URL-safe characters, 144 random bits


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    n, r, p = 2 ** 14, 8, 1
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                                   r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError, AttributeError):
        return False
    return scheme == "scrypt" and hmac.compare_digest(candidate, base64.b64decode(digest))


def send_invitation(mailer, email: str, name: str, token: str) -> str:
    """Mails the token; returns the message for the result. Call it after the commit: a mail
    for an employee that was never created would be worse than a mail that failed (the token
    is in the result; `invite` sends a new one)."""
    if mailer is None:  # the admin hands it over: say it, or it is lost
        return (f"no mailer configured: hand {name} this invitation token: {token} (they "
                f"open /invite/<token> on callctl's HTTP address to set a password)")
    try:
        mailer.send_invitation(to=email, name=name, token=token)
    except Exception as exc:  # noqa: BLE001 - any mail failure is reported, not raised
        log.event("directory.invitation_failed", employee=name, error=exc)
        return f"the invitation e-mail to {email} failed: {exc}"
    return f"invitation sent to {email}"
