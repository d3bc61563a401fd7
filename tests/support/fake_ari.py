"""A small in-memory ARI for fast engine tests: it records every request the engine makes
and lets the test play Asterisk's part by emitting events (a leg answers, a key is pressed,
a prompt ends). It is no Asterisk: what only Asterisk can show (audio, DTMF on the wire,
timing) is tested in tests/integration against the real one.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from callctl.domain.catalog import Catalog
from callctl.domain.directory import Presence
from callctl.pbx.ari import AriError, NotFound
from callctl.pbx.events import parse


@dataclass
class Request:
    method: str
    path: str
    params: dict = field(default_factory=dict)


class FakeAri:
    """Implements the Ari methods the engine calls. Playbacks end by themselves after
    `prompt_seconds` unless `hold_prompts` is set (the test ends them with `finish`)."""

    def __init__(self):
        self.requests: list[Request] = []
        self.dispatch = None  # set by the harness: Router.dispatch
        self.channels_up: dict[str, dict] = {}  # what /channels lists (a restart's view)
        self.bridges_up: list[dict] = []  # what /bridges lists
        self.prompt_seconds = 0.0
        self.hold_prompts = False
        self.playing: dict[str, str] = {}  # playback id -> channel
        self.fail_originate: set[str] = set()  # endpoints refused with 400
        self.gone_on_add = False  # addChannel answers 400 "Channel not found"
        self.gone_bridges: set[str] = set()  # addChannel answers 404 "Bridge not found"
        self._changed = asyncio.Event()

    # -- what the test sees -------------------------------------------------------------------

    def paths(self, method: str | None = None) -> list[str]:
        return [r.path for r in self.requests if method is None or r.method == method]

    def find(self, method: str, path_end: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path.endswith(path_end)]

    async def wait(self, method: str, path_end: str, count: int = 1,
                   timeout: float = 5) -> Request:
        """Until the engine has made `count` such requests; returns the last one."""
        async def seen():
            while len(found := self.find(method, path_end)) < count:
                self._changed.clear()
                await self._changed.wait()
            return found[count - 1]
        return await asyncio.wait_for(seen(), timeout)

    async def leg_to(self, endpoint: str, count: int = 1) -> str:
        """The channel id of the `count`-th leg the engine originated to `endpoint`."""
        while True:
            legs = [r for r in self.find("POST", "/channels")
                    if r.params["endpoint"] == endpoint]
            if len(legs) >= count:
                return legs[count - 1].params["channelId"]
            await self.wait("POST", "/channels", len(self.find("POST", "/channels")) + 1)

    def members(self) -> list[set[str]]:
        """The channels added to each bridge, in the order the bridges got their first
        (a bridge the pool hands on to a later call: the channels of both)."""
        added: dict[str, set[str]] = {}
        for r in self.find("POST", "/addChannel"):
            added.setdefault(r.path, set()).update(r.params["channel"].split(","))
        return list(added.values())

    def emit(self, msg: dict) -> None:
        self.dispatch(parse(msg))

    def stasis_start(self, channel_id: str, args=(), **channel) -> None:
        self.emit({"type": "StasisStart", "args": list(args),
                   "channel": {"id": channel_id, "name": channel.pop("name", "PJSIP/x-1"),
                               **channel}})

    def answer_leg(self, channel_id: str) -> None:
        self.stasis_start(channel_id, ["dialed"])

    def hang_up(self, channel_id: str, cause: int = 16) -> None:
        self.emit({"type": "StasisEnd", "channel": {"id": channel_id}})
        self.emit({"type": "ChannelDestroyed", "cause": cause, "channel": {"id": channel_id}})

    def press(self, channel_id: str, digit: str) -> None:
        self.emit({"type": "ChannelDtmfReceived", "digit": digit,
                   "channel": {"id": channel_id}})

    def finish(self, playback_id: str) -> None:
        channel = self.playing.pop(playback_id, None)
        if channel is not None:
            self.emit({"type": "PlaybackFinished", "playback": {
                "id": playback_id, "target_uri": f"channel:{channel}"}})

    def finish_recording(self, name: str, channel: str, seconds: int) -> None:
        self.emit({"type": "RecordingFinished", "recording": {
            "name": name, "target_uri": f"channel:{channel}", "duration": seconds}})

    # -- the Ari interface ----------------------------------------------------------------------

    def _log(self, method, path, **params):
        self.requests.append(Request(method, path, params))
        self._changed.set()

    async def request(self, method, path, *, params=None, body=None):
        self._log(method, path, **(params or {}))
        if path.endswith("/addChannel"):
            self._adding(path)
        return None

    def _adding(self, path):
        if self.gone_on_add:
            raise NotFound(400, "POST", path, "Channel not found")
        if path.split("/")[2] in self.gone_bridges:
            raise NotFound(404, "POST", path, "Bridge not found")

    async def quietly(self, method, path, **kwargs):
        self._log(method, path, **(kwargs.get("params") or {}))
        return None

    async def originate(self, endpoint, channel_id, app_args, caller_id=None, timeout=30,
                        variables=None):
        self._log("POST", "/channels", endpoint=endpoint, channelId=channel_id,
                  callerId=caller_id, timeout=timeout, variables=variables)
        if endpoint in self.fail_originate:
            raise AriError(400, "POST", "/channels", "Allocation failed")

    async def hangup(self, channel_id, reason="normal", cause=None):
        self._log("DELETE", f"/channels/{channel_id}", reason=reason, cause=cause)
        # As Asterisk does, a little later: the channel leaves Stasis and is destroyed.
        loop = asyncio.get_running_loop()
        loop.call_soon(self.emit, {"type": "StasisEnd", "channel": {"id": channel_id}})
        loop.call_soon(self.emit, {
            "type": "ChannelDestroyed", "cause": 16, "channel": {"id": channel_id}})

    async def answer(self, channel_id):
        self._log("POST", f"/channels/{channel_id}/answer")

    async def ring(self, channel_id):
        self._log("POST", f"/channels/{channel_id}/ring")

    async def progress(self, channel_id):
        self._log("POST", f"/channels/{channel_id}/progress")

    async def play(self, channel_id, media, playback_id):
        self._log("POST", f"/channels/{channel_id}/play", media=media, playbackId=playback_id)
        self.playing[playback_id] = channel_id
        if not self.hold_prompts:
            asyncio.get_running_loop().call_later(self.prompt_seconds, self.finish, playback_id)

    async def stop_playback(self, playback_id):
        self._log("DELETE", f"/playbacks/{playback_id}")
        self.finish(playback_id)  # Asterisk reports a stopped playback as finished

    async def record(self, channel_id, name, max_seconds, max_silence, terminate_on="#"):
        self._log("POST", f"/channels/{channel_id}/record", name=name, max=max_seconds,
                  silence=max_silence)

    async def set_variable(self, channel_id, name, value):
        self._log("POST", f"/channels/{channel_id}/variable", variable=name, value=value)

    async def continue_in_dialplan(self, channel_id, context, extension, priority=1):
        self._log("POST", f"/channels/{channel_id}/continue", context=context,
                  extension=extension)

    async def create_bridge(self, bridge_id, name, kind="mixing"):
        self._log("POST", f"/bridges/{bridge_id}", name=name)

    async def add_to_bridge(self, bridge_id, channel_ids):
        self._log("POST", f"/bridges/{bridge_id}/addChannel", channel=",".join(channel_ids))
        self._adding(f"/bridges/{bridge_id}/addChannel")

    async def destroy_bridge(self, bridge_id):
        self._log("DELETE", f"/bridges/{bridge_id}")

    async def channels(self):
        return list(self.channels_up.values())

    async def bridges(self):
        return list(self.bridges_up)


class Writes:
    """Stands in for the call-log recorder: keeps (write name, args) in order."""

    def __init__(self):
        self.done: list[tuple[str, tuple]] = []

    def submit(self, write, *args):
        self.done.append((write.__name__, args))
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    def of(self, name: str) -> list[tuple]:
        return [args for write, args in self.done if write == name]


class Mailbox:
    """Stands in for the mailroom: what it was given."""

    def __init__(self):
        self.taken: list[tuple] = []
        self.discarded: list[str] = []

    def take(self, call, box, recording, seconds, at):
        self.taken.append((call.id, box.name, recording, seconds))

    def discard(self, recording):
        self.discarded.append(recording)


def services(ari: FakeAri, catalog: Catalog | Callable[[], Catalog],
             presence: Presence | Callable[[], Presence] | None = None, call_log=None, **kw):
    """Services for a session over the fake ARI, with a real BusyBoard and queue rooms.
    `catalog` and `presence` may be callables, for tests that change them. `call_log`: a
    real CallLog, where a test reads the database (queues count today's answers)."""
    from callctl.calls.busy import BusyBoard
    from callctl.calls.context import Services
    from callctl.calls.queues import QueueRooms
    board = BusyBoard()
    seen = presence if callable(presence) else lambda: presence or Presence(everyone=True)
    s = Services(
        ari=ari, call_log=call_log, recorder=Writes(),
        catalog=catalog if callable(catalog) else lambda: catalog,
        presence=lambda: Presence(seen().registered, seen().everyone, board.snapshot()),
        busy=board, media=lambda prompt: f"sound:{prompt.source}/{prompt.name}",
        fallback_context="callctl-fallback", mailroom=Mailbox(), **kw)
    s.queues = QueueRooms(s)
    return s
