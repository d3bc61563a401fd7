"""Can Asterisk play a prompt that callctl serves over HTTP? A real try: a one-second
silent .wav served from the address callctl serves prompts on, played into a scratch bridge
(Asterisk fetches it through res_http_media_cache + res_curl), and the playback's own events
say whether it played."""
from __future__ import annotations

import asyncio
import io
import json
import socket
import wave

from aiohttp import WSMsgType, web

from ..pbx.ari import Ari, AriError


def silent_wav(seconds: float = 0.2) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:  # the format prompts are played in: 8 kHz mono 16-bit
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * int(8000 * seconds))
    return out.getvalue()


async def fetch_into_media_cache(ari: Ari, scratch: str, host: str,
                                 timeout: float = 5) -> str | None:
    """None when Asterisk fetched and played it, else what went wrong. `scratch` is a Stasis
    app name and bridge id of the caller's own."""
    body, fetched = silent_wav(), asyncio.Event()

    async def serve(_request):
        fetched.set()
        return web.Response(body=body, content_type="audio/wav")
    app = web.Application()
    app.router.add_get(f"/{scratch}.wav", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listener.bind((host, 0))  # a free port of the system's choosing
    port = listener.getsockname()[1]
    await web.SockSite(runner, listener).start()
    url = f"http://{host}:{port}/{scratch}.wav"
    try:
        async with await ari.event_socket(scratch) as ws:
            await ari.request("POST", f"/bridges/{scratch}", params={"type": "mixing"})
            try:
                await ari.request("POST", f"/applications/{scratch}/subscription",
                                  params={"eventSource": f"bridge:{scratch}"})
                await ari.request("POST", f"/bridges/{scratch}/play",
                                  params={"media": f"sound:{url}", "playbackId": scratch})
                state = await _playback_end(ws, scratch, timeout)
            finally:
                await ari.quietly("DELETE", f"/bridges/{scratch}")
    except AriError as exc:
        return f"playing {url} into a scratch bridge failed: {exc}"
    finally:
        await runner.cleanup()
    if state == "done" and fetched.is_set():
        return None
    if not fetched.is_set():
        return (f"Asterisk did not fetch {url} (playback {state}): res_http_media_cache or "
                f"res_curl missing, or that address is not reachable from Asterisk")
    return f"Asterisk fetched {url} but could not play it (playback {state})"


async def _playback_end(ws, playback_id: str, timeout: float) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            msg = await asyncio.wait_for(ws.receive(), deadline - loop.time())
        except asyncio.TimeoutError:
            return "did not end in time"
        if msg.type != WSMsgType.TEXT:  # the socket closed
            return "not reported (event socket closed)"
        event = json.loads(msg.data)
        playback = event.get("playback") or {}
        if (event.get("type") in ("PlaybackFinished", "PlaybackFailed")
                and playback.get("id") == playback_id):
            return playback.get("state", "failed")
