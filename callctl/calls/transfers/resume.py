"""A restarted daemon going on with a transfer it finds half done (reconcile.py calls
`adopt` for a caller whose channel carries a stage mark and who talks to nobody).

From the mark (marks.py) and what Asterisk still has, the call is rebuilt: the transferer's
channel, a recipient talking with them in the consultation bridge, recipient phones still
ringing (they ring on: an answer is connected as if the daemon had never left). The
transfer then goes on in the state domain/transfer_restart.py says, after the events it
missed; from there it is an ordinary transfer (transfer.py), and after it an ordinary talk.
"""
from __future__ import annotations

import time

from ... import log
from ...domain.transfer import Recipient
from ...domain.transfer_restart import Found, TransferMark, resume
from ..context import LEG_PREFIX, PARTY_VAR
from ..model import Bridge, Leg
from ..session import CallSession, endpoint_of
from .transfer import Transfer


def adopt(router, caller: dict, args: tuple[str, str], mark: TransferMark,
          legs: list[dict], bridge_of: dict[str, str]) -> set[str]:
    """Carry on the call of `caller` (its legs: the channels marked with its call id) with
    its transfer; returns the channels and bridges it keeps."""
    there = next((c for c in legs if c["id"] == mark.transferer), None)
    # A recipient leg is up once its phone answered (the consultation), else it rings.
    talking = next((c for c in legs if c is not there and c.get("state") == "Up"), None)
    ringing = [c for c in legs if c is not there and c.get("state") != "Up"]
    state, missed = resume(mark.stage, Found(there is not None, talking is not None,
                                             len(ringing)))
    session = CallSession(router.s, router, caller, *args)
    ctx = session.ctx
    transferer = (_leg(there, "up") if there is not None
                  else Leg(mark.transferer, "callee", state="gone", party=mark.party or None))
    if transferer.party is None:
        transferer.party = mark.party or None
    found = [_leg(c, "ringing") for c in ringing]
    answered = _leg(talking, "up") if talking is not None else None
    kept = set()
    for leg in found + [x for x in (answered, transferer) if x and x.state != "gone"]:
        ctx.call.legs[leg.channel_id] = leg
        router.own(leg.channel_id, ctx)
        kept.add(leg.channel_id)
        if leg.state == "ringing":
            router.s.busy.ringing(leg.party, leg.channel_id, ctx.call.id, ctx.deliver)
    if answered is not None:
        ctx.engage(answered.party)
    # The consultation's bridge, with both in it, or the one left.
    consult = next((bridge_of[c] for c in (mark.transferer, talking and talking["id"])
                    if c in bridge_of and bridge_of[c].startswith(LEG_PREFIX)), "")
    if consult:
        ctx.call.bridges[consult] = Bridge(consult, members={
            leg.channel_id for leg in (transferer, answered) if leg and leg.state != "gone"})
        router.own(consult, ctx)
        kept.add(consult)

    def build(conv) -> Transfer:
        conv.count = mark.seq - 1
        t = Transfer(conv, mark.mode, mark.via, transferer, conv.served,
                     Recipient("", mark.label, ()),
                     mark.transferer if mark.via == "refer" else None)
        ctx.call.legs.setdefault(transferer.channel_id, transferer)  # its hang-up is seen
        t.state, t.legs, t.answered = state, found, answered
        t.consult = ctx.call.bridges.get(consult) if answered is not None else None
        t.ringback = mark.ringback or None
        t.end = ctx.loop_time() + max(0.0, mark.ring_until - time.time())
        ctx.music_on_hold = mark.mode == "attended" and mark.stage != "blind"
        ctx.waiting_since_restart("moh" if ctx.music_on_hold else mark.waiting or None)
        if there is not None and state != "blind":
            conv.keypads.consulting(transferer.channel_id)
        return t

    log.event("call.transfer_adopted", call=ctx.call.id, seq=mark.seq, stage=mark.stage,
              state=state, missed=",".join(missed) or None, ringing=len(found),
              talking=answered is not None, transferer=there is not None)
    router.start(session, session.run_adopted(
        transferer, transfer=lambda conv: go_on(conv, build, missed)))
    return kept


def _leg(channel: dict, state: str) -> Leg:
    party = (channel.get("channelvars") or {}).get(PARTY_VAR) or None
    return Leg(channel["id"], "callee", dial=f"PJSIP/{endpoint_of(channel.get('name', ''))}",
               state=state, party=party)


async def go_on(conv, build, missed: tuple[str, ...]) -> None:
    """Run the rebuilt transfer to its end."""
    conv.transfer = build(conv)
    try:
        await conv.transfer.go_on(missed)
    finally:
        conv.transfer = None
