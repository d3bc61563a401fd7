"""Capped exponential backoff with jitter, for reconnecting to Asterisk."""
import random


class Backoff:
    # A PBX must come back fast: with a 2 s cap, Asterisk is found again within ~2 s of its
    # return, and a refusing server sees at most one attempt every 1-2 s.
    def __init__(self, base: float = 0.2, cap: float = 2.0, rng: random.Random | None = None):
        self.base, self.cap, self.attempt = base, cap, 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        delay = min(self.cap, self.base * (2 ** self.attempt))
        self.attempt += 1
        # Full jitter in the upper half: spreads reconnects, never waits less than half.
        return delay * (0.5 + self._rng.random() / 2)

    def reset(self) -> None:
        self.attempt = 0
