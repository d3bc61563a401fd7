"""The ARI requests transfers need beyond pbx/ari.py's: a phone's REFER progress, digits
sent on to a channel, a channel added to a bridge with its keypad kept off it."""
from __future__ import annotations

from .ari import Ari

# What a REFER's transferer is told (its NOTIFY's sipfrag): progress (100), answered (200),
# unavailable (503), declined (603).
PROGRESS, ANSWERED, UNAVAILABLE, DECLINED = ("channel_progress", "channel_answered",
                                             "channel_unavailable", "channel_declined")


async def transfer_progress(ari: Ari, channel_id: str, state: str) -> None:
    await ari.quietly("POST", f"/channels/{channel_id}/transfer_progress",
                      params={"states": state})


async def send_dtmf(ari: Ari, channel_id: str, digits: str) -> None:
    await ari.quietly("POST", f"/channels/{channel_id}/dtmf", params={"dtmf": digits})


async def add_absorbing(ari: Ari, bridge_id: str, channel_ids: list[str]) -> None:
    """Into the bridge with their digits kept off it: the daemon reads them (feature codes)
    and sends on what is not a code."""
    await ari.request("POST", f"/bridges/{bridge_id}/addChannel",
                      params={"channel": ",".join(channel_ids), "absorbDTMF": True})
