"""Expiring signed links to listen to a voicemail message, for people without an API token.

A link is `<public url>/voicemail/<message id>.wav?expires=<unix time>&sig=<signature>`,
the signature an HMAC-SHA256 over the message id and the expiry with the daemon's secret:
changing either (or guessing another message's link) fails the check, and nothing is stored
per link. Changing the secret invalidates every link given out.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

LINK_PATH = "/voicemail"
OK, EXPIRED, TAMPERED = "ok", "expired", "tampered"


@dataclass(frozen=True)
class ListenLinks:
    secret: bytes
    base_url: str  # how the recipient reaches the daemon's HTTP server
    lifetime: timedelta

    def link(self, message_id: int, now: datetime) -> tuple[str, datetime]:
        """(the link, when it stops working)."""
        expires = int((now + self.lifetime).timestamp())
        query = urlencode({"expires": expires, "sig": self.signature(message_id, expires)})
        return (f"{self.base_url.rstrip('/')}{LINK_PATH}/{message_id}.wav?{query}",
                datetime.fromtimestamp(expires, timezone.utc))

    def signature(self, message_id: int, expires: int) -> str:
        mac = hmac.new(self.secret, f"voicemail:{message_id}:{expires}".encode(),
                       hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")

    def check(self, message_id: int, expires: str | None, sig: str | None,
              now: datetime) -> str:
        """OK, EXPIRED (a genuine link past its time) or TAMPERED (not one we made)."""
        if not expires or not sig or not expires.isdigit() or len(expires) > 12:
            return TAMPERED
        if not hmac.compare_digest(sig.encode(), self.signature(message_id,
                                                                int(expires)).encode()):
            return TAMPERED
        return OK if now.timestamp() < int(expires) else EXPIRED
