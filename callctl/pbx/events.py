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
    bridge_id: str | None = None
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
    if not channel_id and playback.get("target_uri", "").startswith("channel:"):
        channel_id = playback["target_uri"].split(":", 1)[1]
    if not channel_id and msg.get("peer"):  # Dial events: the peer is the dialled leg
        channel_id = msg["peer"].get("id")
    return Event(
        type=kind,
        channel_id=channel_id,
        args=tuple(msg.get("args") or ()),
        state=channel.get("state"),
        playback_id=playback.get("id"),
        bridge_id=(msg.get("bridge") or {}).get("id"),
        cause=msg.get("cause"),
        raw=msg,
    )


def synthetic_destroyed(channel_id: str) -> Event:
    """Stands in for a ChannelDestroyed that happened while the websocket was down."""
    return Event(type="ChannelDestroyed", channel_id=channel_id, raw={"synthetic": True})
