"""Event-loop lag: how late a 100 ms timer fires. A busy or blocked loop delays every call's
events, so this is the daemon's own health figure (reported by /health)."""
from __future__ import annotations

import asyncio
from collections import deque

from . import metrics

INTERVAL_S = 0.1


class LoopLag:
    def __init__(self, window: int = 600):  # the last minute at 10 samples a second
        self.samples: deque[float] = deque(maxlen=window)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(INTERVAL_S)
            lag = max(0.0, loop.time() - before - INTERVAL_S)
            self.samples.append(lag * 1000)
            metrics.loop_lag(lag)

    def p99_ms(self) -> float:
        if not self.samples:
            return 0.0
        ordered = sorted(self.samples)
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2)
