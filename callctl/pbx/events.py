"""ARI events as small typed objects, keyed by the channel they concern."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    type: str
    channel_id: str | None = None  # the channel this event is about, for routing
    args: tuple[str, ...] = ()  # StasisStart application arguments
    state: str | None = None  # channel state (Ring, Ringing, Up, ...)
    playback_id: str | None = None
    recording: str | None = None  # a recording's name
    bridge_id: str | None = None
    digit: str | None = None  # ChannelDtmfReceived
    cause: int | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def channel(self) -> dict:
        return self.raw.get("channel") or {}


def parse(msg: dict) -> Event:
    kind = msg.get("type", "")
    channel = msg.get("channel") or {}
    channel_id = channel.get("id")
    playback = msg.get("playback") or {}
    recording = msg.get("recording") or {}
    target = playback.get("target_uri") or recording.get("target_uri") or ""
    if not channel_id and target.startswith("channel:"):
        channel_id = target.split(":", 1)[1]
    if not channel_id and msg.get("peer"):  # Dial events: the peer is the dialled leg
        channel_id = msg["peer"].get("id")
    if not channel_id and msg.get("referred_by"):  # ChannelTransfer: the REFER's channel
        channel_id = (msg["referred_by"].get("source_channel") or {}).get("id")
    return Event(
        type=kind,
        channel_id=channel_id,
        args=tuple(msg.get("args") or ()),
        state=channel.get("state"),
        playback_id=playback.get("id"),
        recording=recording.get("name"),
        bridge_id=(msg.get("bridge") or {}).get("id"),
        digit=msg.get("digit"),
        cause=msg.get("cause"),
        raw=msg,
    )


def synthetic_destroyed(channel_id: str) -> Event:
    """Stands in for a ChannelDestroyed that happened while the websocket was down."""
    return Event(type="ChannelDestroyed", channel_id=channel_id, raw={"synthetic": True})
