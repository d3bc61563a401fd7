"""The keypads of a call's staff parties while they talk: their digits are kept off the
bridge (absorbDTMF, see CallContext.join) and read for feature codes (domain/keypad.py);
digits that are no code are sent on to whoever they talk to, a little late, as Asterisk
does with its own feature codes. A customer's digits are not read: the daemon sends them
on at once (the bridge keeps everyone's digits off when one party is staff).
"""
from __future__ import annotations

from collections.abc import Callable

from ..domain.keypad import Action, Forward, Keypad
from ..pbx.events import Event
from ..pbx.transfers import send_dtmf

Peer = Callable[[str], "str | None"]  # channel -> the channel it talks to now


class Keypads:
    def __init__(self, ctx, peer: Peer):
        self.ctx, self.peer = ctx, peer
        self.pads: dict[str, Keypad] = {}

    def listen(self, channel_id: str, codes: dict[str, str],
               with_number: frozenset[str] = frozenset()) -> None:
        """Read `channel_id`'s digits for `codes` (replacing what it listened for)."""
        c = self.ctx.s.codes
        self.pads[channel_id] = Keypad(codes, with_number, c.digit_timeout, c.number_timeout)
        self.ctx.absorb.add(channel_id)

    def talking(self, channel_id: str) -> None:
        """The codes of a party who talks: transfer blind or attended."""
        self.listen(channel_id, self.ctx.s.codes.talking(), frozenset({"blind", "attended"}))

    def consulting(self, channel_id: str) -> None:
        """The codes of a transferer talking to the recipient first: complete or cancel."""
        self.listen(channel_id, self.ctx.s.codes.consulting())

    def deadline(self) -> float | None:
        times = [pad.deadline for pad in self.pads.values() if pad.deadline is not None]
        return min(times) if times else None

    async def press(self, ev: Event) -> list[Action]:
        """A digit of `ev.channel_id`: what it decides besides the digits sent on."""
        pad = self.pads.get(ev.channel_id)
        if not ev.digit:
            return []
        if pad is None:  # a customer's digit, kept off the bridge with everyone's: on it goes
            if ev.channel_id in self.ctx.relayed:
                await self._send_on(ev.channel_id, [Forward(ev.digit)])
            return []
        return await self._send_on(ev.channel_id, pad.press(ev.digit, self.ctx.loop_time()))

    async def expire(self) -> list[tuple[str, Action]]:
        """What pauses decided by now, for every keypad."""
        out = []
        for channel_id, pad in list(self.pads.items()):
            for action in await self._send_on(channel_id, pad.expire(self.ctx.loop_time())):
                out.append((channel_id, action))
        return out

    async def _send_on(self, channel_id: str, actions: list[Action]) -> list[Action]:
        peer = self.peer(channel_id)
        for action in actions:
            if isinstance(action, Forward) and peer is not None:
                await self.ctx.quiet(send_dtmf(self.ctx.s.ari, peer, action.digits))
        return [a for a in actions if not isinstance(a, Forward)]
