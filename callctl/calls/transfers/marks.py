"""A transfer's stage kept on its transferee's channel (the CALLCTL_TRANSFER variable), so
that a restarted daemon finds it half done and goes on with it (resume.py; what the mark
holds: domain/transfer_restart.py).

Written when the transfer enters a stage it waits in, and always before the transferee
hears a tone: a channel playing `tone:ring` runs no other request until the tone ends.
"""
from __future__ import annotations

import time

from ...domain.transfer_restart import TransferMark
from ..context import TRANSFER_VAR


async def mark(transfer, ringback: str = "", waiting: str = "") -> None:
    """`transfer`'s state as its stage mark; `ringback` / `waiting`: the playbacks the
    transferer / the transferee will hear (a restarted daemon stops them by id)."""
    ctx, t = transfer.ctx, transfer
    left = t.end - ctx.loop_time() if t.end else ctx.s.transfer_ring_s
    value = TransferMark(t.state, t.seq, t.mode, t.via, t.transferer.channel_id,
                         t.recipient.label, ringback, waiting, round(time.time() + left, 1),
                         t.transferer.party or "")
    await ctx.quiet(ctx.s.ari.set_variable(t.transferee.channel_id, TRANSFER_VAR,
                                           value.encode()))
