"""After every (re)connect: make the daemon's view match Asterisk's. Asterisk does not
replay the events the daemon missed, so it is asked what exists now.

Calls are found again from what the daemon stored on Asterisk's side, not from names:
legs carry CALLCTL_CALL (their call) and CALLCTL_PARTY (who they ring), the caller carries
CALLCTL_STEP while it is in a menu or voicemail, and bridges list their members.

- a caller bridged with one of its legs: the call is adopted and carried to its end;
- a caller alone in its call's bridge (the person hung up meanwhile): left to outage.py;
- a caller in the middle of a transfer (its CALLCTL_TRANSFER stage mark): the transfer goes
  on, with the transferer, recipient and ringing phones Asterisk still has
  (transfers/resume.py);
- a caller recording a voicemail: the recording is waited for and kept;
- a caller in a menu or a queue: the call goes on from that menu, or in that queue at its
  place in line; any other caller still in the app (ringing): the call starts again;
- legs and bridges nobody owns any more: hung up, destroyed.
"""
from __future__ import annotations

from collections import defaultdict

from .. import log
from ..pbx.events import synthetic_destroyed
from ..domain.transfer_restart import TransferMark
from .context import CALL_VAR, LEG_PREFIX, PARTY_VAR, STEP_VAR, TRANSFER_VAR
from .model import Bridge, Leg
from .router import CALL_KINDS, Router
from .session import CallSession, endpoint_of
from .transfers.resume import adopt


def channel_var(channel: dict, name: str) -> str:
    return (channel.get("channelvars") or {}).get(name) or ""


def stasis_args(channel: dict, app: str) -> tuple[str, str] | None:
    """('inbound', '+15550100') for a channel sitting in Stasis(callctl,inbound,+15550100)."""
    plan = channel.get("dialplan") or {}
    if plan.get("app_name") != "Stasis":
        return None
    parts = (plan.get("app_data") or "").split(",")
    if len(parts) >= 3 and parts[0] == app and parts[1] in CALL_KINDS:
        return parts[1], parts[2]
    return None


async def reconcile(router: Router) -> None:
    ari = router.s.ari
    channels = {c["id"]: c for c in await ari.channels()}
    bridges = await ari.bridges()
    # Calls this process still runs: tell them about channels that vanished meanwhile.
    mine: set[str] = set()
    for session in list(router.sessions):
        for channel_id in [session.caller, *(leg.channel_id for leg in session.call.live())]:
            mine.add(channel_id)
            if channel_id not in channels:
                session.deliver(synthetic_destroyed(channel_id))
    partners: dict[str, set[str]] = {}  # channel -> who shares a bridge with it
    bridge_of: dict[str, str] = {}
    for bridge in bridges:
        members = {c for c in bridge.get("channels", []) if c in channels}
        for c in members:
            partners[c], bridge_of[c] = members - {c}, bridge["id"]
    legs_of: dict[str, list[dict]] = defaultdict(list)
    for channel in channels.values():
        if (call_id := channel_var(channel, CALL_VAR)) and channel["id"] not in mine:
            legs_of[call_id].append(channel)
    kept: set[str] = set(mine)
    kept_bridges = {b for s in router.sessions for b in s.call.bridges}
    for channel_id, channel in channels.items():
        args = stasis_args(channel, router.app)
        if channel_id in mine or args is None:
            continue
        kept.add(channel_id)
        legs = legs_of.get(channel_id, [])
        talking = next((leg for leg in legs if leg["id"] in partners.get(channel_id, ())), None)
        if talking is None and bridge_of.get(channel_id, "").startswith(LEG_PREFIX):
            continue  # alone in its call's bridge: the person hung up; outage.py ends it
        if talking is not None:
            kept.add(talking["id"])
            session = CallSession(router.s, router, channel, *args)
            leg = Leg(talking["id"], "callee", dial=f"PJSIP/{endpoint_of(talking['name'])}",
                      state="up", party=channel_var(talking, PARTY_VAR) or None)
            bridge = Bridge(bridge_of[channel_id], members={channel_id, leg.channel_id})
            session.call.bridges[bridge.id] = bridge
            kept_bridges.add(bridge.id)
            router.own(leg.channel_id, session.ctx)
            router.start(session, session.run_adopted(leg))
            continue
        mark = TransferMark.decode(channel_var(channel, TRANSFER_VAR))
        if mark is not None:
            held = adopt(router, channel, args, mark, legs, bridge_of)
            kept |= held
            kept_bridges |= held
            continue
        step = channel_var(channel, STEP_VAR)
        session = CallSession(router.s, router, channel, *args, resumed=True, resume_at=step)
        if step.startswith("voicemail:"):
            router.start(session, session.run_voicemail(step.split(":", 1)[1]))
        else:  # ringing: from the start, with new legs; in a menu or queue: from there
            router.start(session)
    for channel_id, channel in channels.items():
        if channel_id not in kept and (channel_var(channel, CALL_VAR)
                                       or channel_id.startswith(LEG_PREFIX)):
            router.spawn(ari.hangup(channel_id))  # a leg whose call is gone or restarts
    for bridge in bridges:
        if bridge["id"].startswith(LEG_PREFIX) and bridge["id"] not in kept_bridges:
            router.spawn(ari.destroy_bridge(bridge["id"]))  # half a call, or restarting
    log.event("ari.reconciled", channels=len(channels), calls=len(router.sessions))
