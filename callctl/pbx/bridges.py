"""Mixing bridges kept for the next call: an empty bridge is handed on instead of being
destroyed and made again, which saves two ARI requests a call (and Asterisk the work).

A bridge comes back only once every channel that was ever in it has left Stasis (the
caller says so, see CallSession._finish), so a new call never shares it with the last.
Idle bridges are named by their id (POOL_PREFIX): nothing else in Asterisk is."""
from __future__ import annotations

import asyncio
import uuid

from .ari import Ari

POOL_PREFIX = "callctl-pool-"
IDLE_MAX = 128  # idle bridges kept at most; more are destroyed as they come back


class BridgePool:
    def __init__(self, ari: Ari, idle_max: int = IDLE_MAX):
        self.ari, self.idle_max = ari, idle_max
        self.idle: list[str] = []
        self.closed = False

    async def take(self) -> str:
        """An empty mixing bridge's id: an idle one, else a new one."""
        if self.idle:
            return self.idle.pop()
        bridge_id = f"{POOL_PREFIX}{uuid.uuid4().hex[:12]}"
        await self.ari.create_bridge(bridge_id, "callctl")
        return bridge_id

    async def give(self, bridge_id: str) -> None:
        """`bridge_id` is empty and its call over: kept for the next call, or destroyed."""
        if self.closed or len(self.idle) >= self.idle_max \
                or not bridge_id.startswith(POOL_PREFIX):
            await self.ari.destroy_bridge(bridge_id)
        else:
            self.idle.append(bridge_id)

    def forget(self) -> None:
        """Asterisk may have lost them (a reconnect): the reconcile destroys what is left."""
        self.idle.clear()

    async def close(self) -> None:
        """The daemon stops: no idle bridge outlives it."""
        self.closed = True
        idle, self.idle = self.idle, []
        await asyncio.gather(*(self.ari.destroy_bridge(b) for b in idle))
