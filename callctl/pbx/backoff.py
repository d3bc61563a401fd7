"""Capped exponential backoff with jitter, for reconnecting to Asterisk."""
import random


class Backoff:
    def __init__(self, base: float = 0.2, cap: float = 10.0, rng: random.Random | None = None):
        self.base, self.cap, self.attempt = base, cap, 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        delay = min(self.cap, self.base * (2 ** self.attempt))
        self.attempt += 1
        # Full jitter in the upper half: spreads reconnects, never waits less than half.
        return delay * (0.5 + self._rng.random() / 2)

    def reset(self) -> None:
        self.attempt = 0
