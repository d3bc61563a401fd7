"""The talk phase: the caller and the person who answered are bridged until one hangs up.

Meanwhile a party who is staff can transfer the other: feature codes on the keypad
(keypad.py), the phone's transfer button (a REFER: refer.py) or the API (desk.py); the
transfer itself is transfers/. The call then goes on with the new pair, as many times
as it is transferred. `ctx.caller` is the party the call serves (its hang-up ends the
call); `Conversation.leg` the other one.
"""
from __future__ import annotations

from .. import log
from ..domain.keypad import Abort, Begin, Dial
from ..domain.flow import Prompt
from ..pbx.ari import NotFound
from ..store.calls import CallLog
from . import desk, refer, transfers
from .context import CallContext, new_id, now
from .keypad import Keypads
from .model import Leg
from .parties import caller_leg, is_staff

TRANSFER_PROMPT = Prompt("pbx-transfer", "asterisk")  # "transfer": say the number now


async def talk(ctx: CallContext, leg: Leg) -> None:
    person = ctx.s.catalog().directory.employee(leg.employee) if leg.employee else None
    ctx.record(CallLog.answered, ctx.call.id, leg.employee, leg.dial, now(),
               person.department if person else None)  # known here: no lookup in the log
    ctx.s.crm.answered(ctx.call, leg)
    ctx.s.events.answered(ctx.call, leg)
    conversation = Conversation(ctx, leg)  # before the bridge: it says whose keys to read
    try:
        await ctx.connect(leg)
    except NotFound:
        pass  # someone hung up at the moment of answer: the events below say who
    log.event("call.answered", call=ctx.call.id, employee=leg.employee, leg=leg.dial)
    await conversation.run()


async def hold_until_hangup(ctx: CallContext, leg: Leg, served: Leg | None = None,
                            transfer=None) -> None:
    """A call already bridged (adopted after a restart): talks until a hang-up, with
    transfers as usual. `transfer`: a transfer found half done, run on the conversation
    first (transfers/resume.py)."""
    conversation = Conversation(ctx, leg, served)
    if transfer is not None:
        await transfer(conversation)
    await conversation.run()


class Conversation:
    def __init__(self, ctx: CallContext, leg: Leg, served: Leg | None = None):
        self.ctx, self.leg = ctx, leg
        self.served = served or caller_leg(ctx)
        self.transfer = None  # the transfers.Transfer under way
        self.count = 0  # transfers so far: the next one's number in the call log
        self.over = False  # nobody left to talk to (a transfer's end), or handed over
        self.prompt: str | None = None  # the "transfer" prompt's playback, while it plays
        self.keypads = Keypads(ctx, self.peer)
        ctx.talk = self
        self.listen()

    # -- the two parties --------------------------------------------------------------------

    def parties(self) -> tuple[Leg, Leg]:
        return self.served, self.leg

    def party(self, channel_id: str | None) -> Leg | None:
        return next((p for p in self.parties() if p.channel_id == channel_id), None)

    def other(self, leg: Leg) -> Leg:
        return self.leg if leg is self.served else self.served

    def peer(self, channel_id: str) -> str | None:
        """Whom a party's digits go on to."""
        if self.transfer is not None:
            return self.transfer.peer(channel_id)
        me = self.party(channel_id)
        return self.other(me).channel_id if me is not None else None

    def serve(self, leg: Leg) -> None:
        """`leg` is now the party whose hang-up ends the call."""
        self.served = leg
        self.ctx.caller, self.ctx.caller_alive = leg.channel_id, leg.state != "gone"

    def pair(self, served: Leg, other: Leg) -> None:
        """After a transfer: the call goes on with these two."""
        self.serve(served)
        self.leg = other
        self.listen()

    def listen(self) -> None:
        """Read the keypads of the staff among the two parties."""
        self.keypads.pads.clear()
        for party in self.parties():
            if is_staff(self.ctx, party):
                self.keypads.talking(party.channel_id)
        self.ctx.absorb = set(self.keypads.pads)

    # -- the loop ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Until the other party hangs up (the served one raises CallerGone)."""
        ctx = self.ctx
        while self.leg.state != "gone" and not self.over:
            ev = await ctx.next_event(self.keypads.deadline())
            if ev is None:
                for channel_id, action in await self.keypads.expire():
                    await self.key(channel_id, action)
            elif ev.type == "ChannelDtmfReceived":
                for action in await self.keypads.press(ev):
                    await self.key(ev.channel_id, action)
            elif ev.type == "ChannelTransfer":
                await refer.on_refer(self, ev)
            elif ev.type == transfers.TRANSFER_REQUEST:
                await desk.serve(self, ev)
            elif ev.type == transfers.HANDOVER:
                refer.hand_over(self, ev)
        if self.leg.state == "gone":
            log.event("call.hangup", call=ctx.call.id, by="callee")

    async def key(self, channel_id: str, action) -> None:
        party = self.party(channel_id)
        if party is None:
            return
        if isinstance(action, Begin):
            log.event("call.transfer_code", call=self.ctx.call.id, kind=action.kind,
                      channel=channel_id)
            self.prompt = new_id("pb")
            await self.ctx.quiet(self.ctx.s.ari.play(
                channel_id, self.ctx.s.media(TRANSFER_PROMPT), self.prompt))
        elif isinstance(action, Dial):
            await transfers.start(self, action.kind, "keypad", party, action.number)
        elif isinstance(action, Abort):
            log.event("call.transfer_code_abandoned", call=self.ctx.call.id,
                      kind=action.kind, channel=channel_id)
