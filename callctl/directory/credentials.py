"""Secrets: SIP passwords, one-time invitation tokens (and their e-mail), login passwords."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .. import log

INVITATION_TTL = timedelta(hours=72)
MIN_PASSWORD = 8


def new_sip_password() -> str:
    return secrets.token_urlsafe(18)  # 24 URL-safe characters, 144 random bits


# Argon2id with argon2-cffi's default cost (RFC 9106's second recommended profile).
_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """Argon2 hashes, and the scrypt ones earlier versions wrote (rehashed at sign-in:
    see needs_rehash)."""
    if isinstance(stored, str) and stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError, TypeError):
        return False


def needs_rehash(stored: str) -> bool:
    return stored.startswith("scrypt$") or _HASHER.check_needs_rehash(stored)


def _verify_scrypt(password: str, stored: str) -> bool:
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
