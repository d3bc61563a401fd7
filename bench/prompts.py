"""scripts/bench --prompts: how soon an uploaded prompt plays, and what converting an mp3
costs.

- Upload → playing: an mp3 greeting POSTed to the daemon's API (multipart, as a browser or
  curl sends it) until Asterisk says it started playing it on a call (PlaybackStarted): the
  daemon decodes and stores it, Asterisk fetches it from the daemon's media URL
  (res_http_media_cache) and starts. The call is the bench phone's, answered in a Stasis
  app of the bench's own, beside the daemon's.
- Conversion: `callctl.prompts.upload.accept` (what the API runs) on a 5 MB, 320 s mp3 at
  128 kbit/s, 44.1 kHz stereo, in this process: decode, resample to 8 kHz, check.
"""
from __future__ import annotations

import asyncio
import statistics
import time
import uuid

import aiohttp

from callctl.prompts.media import media_base_url, sound_uri
from callctl.prompts.upload import accept

from tests.support.audio import mp3

from .harness import Daemon, Sandbox
from .load import pct
from .sipua import Phone

APP = "bench-prompts"


class Ari:
    """The bench's own Stasis app: REST requests and the events of its websocket."""

    def __init__(self, box: Sandbox):
        st = box.state
        self.base = f"http://127.0.0.1:{st['http_port']}/ari"
        self.auth = aiohttp.BasicAuth(st["ari_user"], st["ari_password"])
        self.waiters: list[tuple[dict, asyncio.Future]] = []

    async def __aenter__(self) -> "Ari":
        self.http = aiohttp.ClientSession(auth=self.auth)
        self.ws = await self.http.ws_connect(f"{self.base}/events?app={APP}")
        self.reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc) -> None:
        self.reader.cancel()
        await self.ws.close()
        await self.http.close()

    async def _read(self) -> None:
        async for msg in self.ws:
            ev = msg.json()
            for want, fut in list(self.waiters):
                if not fut.done() and all(_pick(ev, k) == v for k, v in want.items()):
                    fut.set_result(time.perf_counter())

    def expect(self, **want) -> asyncio.Future:
        fut = asyncio.get_running_loop().create_future()
        self.waiters.append((want, fut))
        return fut

    async def request(self, method: str, path: str, **params) -> dict | None:
        async with self.http.request(method, self.base + path, params=params) as r:
            if r.status >= 300:
                raise SystemExit(f"bench --prompts: {method} {path}: {r.status} {await r.text()}")
            return await r.json() if r.content_type == "application/json" else None


def _pick(ev: dict, key: str):
    """'type', or a dotted path like 'playback.id'."""
    for part in key.split("."):
        ev = ev.get(part) if isinstance(ev, dict) else None
    return ev


async def _upload(session: aiohttp.ClientSession, daemon: Daemon, token: str, name: str,
                  data: bytes) -> dict:
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("name", name)
    form.add_field("file", data, filename=f"{name}.mp3")
    async with session.post(f"http://127.0.0.1:{daemon.port}/api/v1/prompts", data=form,
                            params={"replace": "true"},
                            headers={"Authorization": f"Bearer {token}"}) as r:
        if r.status not in (200, 201):
            raise SystemExit(f"bench --prompts: upload refused: {r.status} {await r.text()}")
        return await r.json()


async def run(box: Sandbox, daemon: Daemon, account: tuple, rounds: int, say) -> dict:
    login, password = account
    daemon.cli("employees", "edit", "Bench Agent", "--access", "admin")
    token = daemon.cli("tokens", "create", "Bench Agent")["token"]
    phone = await Phone("127.0.0.1", ("127.0.0.1", box.state["staff_port"])).start()
    await phone.register(login, password)
    base = media_base_url(None, "127.0.0.1", daemon.port)
    uploads, playing = [], []
    try:
        async with Ari(box) as ari, aiohttp.ClientSession() as session:
            channel = f"bench-prompt-{uuid.uuid4().hex[:8]}"
            started = ari.expect(type="StasisStart", **{"channel.id": channel})
            await ari.request("POST", "/channels", endpoint=f"PJSIP/{login}", app=APP,
                              channelId=channel)
            await asyncio.wait_for(started, 10)
            for i in range(rounds):
                data = mp3(400 + 20 * i, 5.0)  # a new sound each time: nothing is cached
                t0 = time.perf_counter()
                made = await _upload(session, daemon, token, "bench greeting", data)
                uploads.append((time.perf_counter() - t0) * 1000)
                playback = f"pb-{uuid.uuid4().hex[:8]}"
                began = ari.expect(type="PlaybackStarted", **{"playback.id": playback})
                await ari.request("POST", f"/channels/{channel}/play", playbackId=playback,
                                  media=sound_uri({made["name"]: made["sha256"]}, base,
                                                  made["name"]))
                playing.append((await asyncio.wait_for(began, 10) - t0) * 1000)
                await ari.request("DELETE", f"/playbacks/{playback}")
            await ari.request("DELETE", f"/channels/{channel}")
    finally:
        phone.close()
    say(f"prompts: upload median {pct(uploads, 50)} ms, upload -> playing median "
        f"{pct(playing, 50)} ms")
    big = mp3(440, 320.0, channels=2, kbps=128)
    convert = []
    for _ in range(3):
        t0 = time.perf_counter()
        accept("big.mp3", big)
        convert.append(time.perf_counter() - t0)
    return {"rounds": rounds, "upload_median_ms": pct(uploads, 50),
            "upload_to_playing_median_ms": pct(playing, 50),
            "upload_to_playing_max_ms": round(max(playing), 1),
            "convert_mp3_bytes": len(big), "convert_mp3_seconds_audio": 320,
            "convert_median_s": round(statistics.median(convert), 3)}
