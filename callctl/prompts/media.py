"""How Asterisk reaches a prompt: over HTTP, from the daemon, by the content's version.

ARI has no upload, and Asterisk may not share a disk with the daemon, so Asterisk plays
`sound:http://<daemon>/media/prompts/<sha256>.wav` through res_http_media_cache (res_curl).
The path names the audio by its SHA-256: a replaced prompt gets a new URL, so Asterisk's
cache can never play the old audio, and the daemon can let Asterisk cache each URL for good.
The same SHA-256 makes the URL unguessable (2^256 values, known only to whoever already
has the audio or its catalog entry), which is why it needs no token: the daemon's HTTP port
may be reachable by staff, but a prompt's URL is only in the daemon, ARI and Asterisk.
The `.wav` extension is what tells Asterisk the format (it is read before Content-Type).
"""
from __future__ import annotations

import re
from collections.abc import Mapping

MEDIA_PATH = "/media/prompts"
VERSION_RE = re.compile(r"^[0-9a-f]{64}$")
_ANY_HOST = ("", "0.0.0.0", "::")


def media_base_url(media_url: str | None, http_host: str, http_port: int) -> str:
    """The daemon's HTTP server as Asterisk reaches it: `pbx.media_url` when configured,
    else the http section's address (a wildcard bind meaning this machine's loopback)."""
    if media_url:
        return media_url.rstrip("/")
    host = "127.0.0.1" if http_host in _ANY_HOST else http_host
    return f"http://{f'[{host}]' if ':' in host else host}:{http_port}"


def media_url(base_url: str, version: str) -> str:
    return f"{base_url}{MEDIA_PATH}/{version}.wav"


def sound_uri(catalog: Mapping[str, str], base_url: str, name: str) -> str:
    """The ARI media URI that plays prompt `name`. `catalog` is name -> version (the
    service's catalog(), or DefaultSounds.catalog). KeyError when it has no such prompt."""
    return "sound:" + media_url(base_url, catalog[name])
