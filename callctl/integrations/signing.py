"""Signed JSON requests to customers' handlers (webhook numbers, CRM call events).

Every request carries `X-Callctl-Signature: sha256=<hex>`, the HMAC-SHA256 of the exact
body bytes under the endpoint's secret, so the receiver can check that callctl sent it
(docs/webhooks.md shows the check). The body holds its own time, against replays.
"""
from __future__ import annotations

import hashlib
import hmac
import json

SIGNATURE_HEADER = "X-Callctl-Signature"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed(payload: dict, secret: str) -> tuple[bytes, dict[str, str]]:
    """(body, headers) of a signed JSON request."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return body, {"Content-Type": "application/json",
                  SIGNATURE_HEADER: signature(secret, body)}


def verify(secret: str, body: bytes, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(signature(secret, body), header)
