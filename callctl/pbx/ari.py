"""A thin asyncio client for Asterisk's REST Interface: REST calls and one event websocket.

404 on a channel, bridge or playback that is already gone is a normal outcome in telephony:
`NotFound` lets callers treat it as such. The websocket reconnects with capped backoff and
calls `on_connect` each time, so the owner can reconcile what it missed (Asterisk does not
replay events).
"""
from __future__ import annotations

import asyncio
import base64
import logging
import time
from typing import Awaitable, Callable
from urllib.parse import quote, urlencode

import aiohttp
import orjson

from .. import log, metrics
from .backoff import Backoff
from .events import Event, parse


class AriError(Exception):
    def __init__(self, status: int, method: str, path: str, message: str = ""):
        super().__init__(f"ARI {method} {path}: HTTP {status} {message}".strip())
        self.status = status


class NotFound(AriError):
    """The channel, bridge or playback does not exist (any more), or the channel has left
    the application: the normal outcome of a hang-up racing a request."""


class Unauthorized(AriError):
    pass


class Ari:
    def __init__(self, url: str, username: str, password: str, app: str):
        self.url, self.app = url.rstrip("/"), app
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}"}
        self._http: aiohttp.ClientSession | None = None
        self.connected = asyncio.Event()
        self.last_error: str | None = "not connected yet"

    async def open(self) -> None:
        if self._http is None:
            # One pooled keep-alive session: a call's REST round-trips reuse connections.
            self._http = aiohttp.ClientSession(
                headers=self._headers, timeout=aiohttp.ClientTimeout(total=10),
                connector=aiohttp.TCPConnector(limit=64))

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    # -- REST -------------------------------------------------------------------------------

    async def request(self, method: str, path: str, *, params: dict | None = None,
                      body: dict | None = None):
        await self.open()
        # The URL and body are encoded here (urlencode, orjson) rather than by aiohttp from
        # `params=`/`json=`: a call makes half a dozen requests, and this is ~40 % less CPU.
        url = f"{self.url}/ari{path}"
        if params:
            query = urlencode({k: _param(v) for k, v in params.items() if v is not None},
                              safe="/:,@", quote_via=quote)
            url = f"{url}?{query}" if query else url
        data = orjson.dumps(body) if body is not None else None
        began, status = time.monotonic(), "error"
        try:
            async with self._http.request(method, url, data=data,
                                          headers=_JSON if data is not None else None) as resp:
                status, raw = resp.status, await resp.read()
        finally:
            metrics.ari_request(method, path, status, time.monotonic() - began)
        if status >= 300:
            text = raw.decode(errors="replace")
            if status == 404 or (status in (400, 409, 422) and _gone(text)):
                raise NotFound(status, method, path, text[:200])
            if status in (401, 403):
                raise Unauthorized(status, method, path, "wrong ARI username or password")
            raise AriError(status, method, path, text[:300])
        return orjson.loads(raw) if raw else None

    async def fetch(self, path: str) -> bytes:
        """A binary resource, e.g. a stored recording's file."""
        await self.open()
        async with self._http.get(f"{self.url}/ari{path}") as resp:
            data = await resp.read()
            if resp.status == 404:
                raise NotFound(404, "GET", path)
            if resp.status >= 300:
                raise AriError(resp.status, "GET", path, data[:200].decode(errors="replace"))
            return data

    async def quietly(self, method: str, path: str, **kwargs):
        """A request whose target may already be gone: 404 (and a dead link) are fine."""
        try:
            return await self.request(method, path, **kwargs)
        except NotFound:
            return None

    async def originate(self, endpoint: str, channel_id: str, app_args: str,
                        caller_id: str | None = None, timeout: int = 30,
                        variables: dict | None = None) -> dict:
        """`variables` are set on the new channel (ids the daemon finds again after a
        restart: see calls/reconcile.py)."""
        params = {"endpoint": endpoint, "app": self.app, "appArgs": app_args,
                  "channelId": channel_id, "callerId": caller_id, "timeout": timeout}
        return await self.request("POST", "/channels", params=params,
                                  body={"variables": variables} if variables else None)

    async def hangup(self, channel_id: str, reason: str = "normal",
                     cause: int | None = None) -> None:
        """`cause`: a Q.850 code (the SIP status follows from it), else `reason`."""
        params = {"reason_code": cause} if cause is not None else {"reason": reason}
        await self.quietly("DELETE", f"/channels/{channel_id}", params=params)

    async def answer(self, channel_id: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/answer")

    async def ring(self, channel_id: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/ring")

    async def progress(self, channel_id: str) -> None:
        """183 Session Progress: audio reaches the caller before (or without) an answer."""
        await self.request("POST", f"/channels/{channel_id}/progress")

    async def play(self, channel_id: str, media: str, playback_id: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/play",
                           params={"media": media, "playbackId": playback_id})

    async def stop_playback(self, playback_id: str) -> None:
        await self.quietly("DELETE", f"/playbacks/{playback_id}")

    async def record(self, channel_id: str, name: str, max_seconds: int,
                     max_silence: int, terminate_on: str = "#") -> None:
        await self.request("POST", f"/channels/{channel_id}/record", params={
            "name": name, "format": "wav", "maxDurationSeconds": max_seconds,
            "maxSilenceSeconds": max_silence, "beep": True, "terminateOn": terminate_on,
            "ifExists": "overwrite"})

    async def set_variable(self, channel_id: str, name: str, value: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/variable",
                           params={"variable": name, "value": value})

    async def continue_in_dialplan(self, channel_id: str, context: str, extension: str,
                                   priority: int = 1) -> None:
        await self.request("POST", f"/channels/{channel_id}/continue",
                           params={"context": context, "extension": extension,
                                   "priority": priority})

    async def create_bridge(self, bridge_id: str, name: str, kind: str = "mixing") -> dict:
        # dtmf_events: keypad digits of bridged phones still reach the app (feature codes)
        # even where media could otherwise flow around Asterisk.
        bridge_type = "mixing,dtmf_events" if kind == "mixing" else kind
        return await self.request("POST", f"/bridges/{bridge_id}",
                                  params={"type": bridge_type, "name": name})

    async def add_to_bridge(self, bridge_id: str, channel_ids: list[str]) -> None:
        await self.request("POST", f"/bridges/{bridge_id}/addChannel",
                           params={"channel": ",".join(channel_ids)})

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self.quietly("DELETE", f"/bridges/{bridge_id}")

    async def channels(self) -> list[dict]:
        return await self.request("GET", "/channels")

    async def bridges(self) -> list[dict]:
        return await self.request("GET", "/bridges")

    async def put_dynamic(self, config_class: str, object_type: str, object_id: str,
                          fields: dict[str, str]) -> None:
        body = {"fields": [{"attribute": k, "value": v} for k, v in fields.items()]}
        await self.request("PUT", f"/asterisk/config/dynamic/{config_class}/{object_type}/"
                                  f"{object_id}", body=body)

    async def delete_dynamic(self, config_class: str, object_type: str, object_id: str) -> None:
        await self.quietly("DELETE", f"/asterisk/config/dynamic/{config_class}/{object_type}/"
                                     f"{object_id}")

    # -- events -----------------------------------------------------------------------------

    async def event_socket(self, app: str, **kwargs):
        """A websocket of `app`'s events (an async context manager once awaited)."""
        await self.open()
        ws_url = self.url.replace("http", "ws", 1) + "/ari/events"
        return self._http.ws_connect(ws_url, params={"app": app, "subscribeAll": "false"},
                                     **kwargs)

    async def run_events(self, on_event: Callable[[Event], None],
                         on_connect: Callable[[], Awaitable[None]],
                         backoff: Backoff | None = None) -> None:
        """Receive events forever; reconnect with backoff. `on_event` must not block."""
        backoff = backoff or Backoff()
        first = True
        while True:
            try:
                async with await self.event_socket(
                        self.app, heartbeat=15,
                        timeout=aiohttp.ClientWSTimeout(ws_close=5)) as ws:
                    self.last_error = None
                    log.event("ari.connected", url=self.url, app=self.app)
                    # Reconcile first, buffering nothing: events that arrive meanwhile wait
                    # in the socket and are delivered after the reconcile has run.
                    await on_connect()
                    self.connected.set()
                    metrics.ari_connected(first)
                    first = False
                    backoff.reset()
                    async for msg in ws:
                        if msg.type == aiohttp.WSMsgType.TEXT:
                            event = parse(orjson.loads(msg.data))
                            metrics.event_received(event.type)
                            on_event(event)
                        elif msg.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSED):
                            break
                    self.last_error = "event websocket closed by Asterisk"
            except asyncio.CancelledError:
                raise
            except aiohttp.WSServerHandshakeError as exc:
                self.last_error = ("ARI refused the credentials (HTTP 401)" if exc.status == 401
                                   else f"ARI websocket handshake failed: HTTP {exc.status}")
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
                self.last_error = f"cannot reach ARI at {self.url}: {exc or type(exc).__name__}"
            except AriError as exc:
                self.last_error = f"reconcile after connect failed: {exc}"
            self.connected.clear()
            metrics.ari_disconnected()
            delay = backoff.next_delay()
            log.event("ari.disconnected", logging.WARNING, reason=self.last_error,
                      retry_in_s=f"{delay:.2f}")
            await asyncio.sleep(delay)


_JSON = {"Content-Type": "application/json"}


def _gone(text: str) -> bool:
    """ARI's words for a channel that hung up meanwhile, on statuses other than 404."""
    text = text.lower()
    return "not found" in text or "not in stasis" in text


def _param(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
